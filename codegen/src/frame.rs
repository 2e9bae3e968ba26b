//! The stack frame: one allocator for every stack slot a program uses, so
//! the 512-byte eBPF limit is checked in one place.
//!
//! Slots are handed out downwards from r10 and released in stack order: a
//! statement takes a mark, allocates its temporaries and releases back to
//! the mark when done, so sibling statements reuse the same bytes.

/// The most stack an eBPF program may use.
pub const STACK_LIMIT: u32 = 512;

#[derive(Clone, Debug, Default)]
pub struct Frame {
    /// Bytes in use below r10.
    used: u32,
    high_water: u32,
}

/// A point to release the frame back to; see `Frame::mark`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameMark(u32);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the program needs {needed} bytes of stack; eBPF allows 512")]
pub struct FrameError {
    pub needed: u32,
}

impl Frame {
    pub fn new() -> Frame {
        Frame::default()
    }

    /// Reserves `size` bytes aligned to `align` and returns their offset from
    /// r10 (negative). On failure nothing is reserved.
    ///
    /// # Panics
    /// If `align` is not 1, 2, 4 or 8: r10 itself is only 8-byte aligned, so
    /// nothing larger can be promised.
    pub fn alloc(&mut self, size: u32, align: u32) -> Result<i16, FrameError> {
        assert!(
            matches!(align, 1 | 2 | 4 | 8),
            "stack alignment must be 1, 2, 4 or 8, not {align}"
        );
        // The slot's start (lowest address) is r10 - end; r10 is 8-aligned,
        // so rounding `end` up to `align` aligns the slot.
        let end = self
            .used
            .checked_add(size)
            .and_then(|end| end.checked_next_multiple_of(align))
            .unwrap_or(u32::MAX);
        if end > STACK_LIMIT {
            return Err(FrameError { needed: end });
        }
        self.used = end;
        self.high_water = self.high_water.max(end);
        Ok(-(end as i16))
    }

    pub fn mark(&self) -> FrameMark {
        FrameMark(self.used)
    }

    /// Frees everything allocated since `mark` was taken.
    pub fn release(&mut self, mark: FrameMark) {
        debug_assert!(mark.0 <= self.used, "frame released out of order");
        self.used = self.used.min(mark.0);
    }

    /// The most stack in use at any one time so far, in bytes.
    pub fn high_water(&self) -> u32 {
        self.high_water
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocates_downwards_with_alignment() {
        let mut f = Frame::new();
        assert_eq!(f.alloc(4, 4), Ok(-4));
        assert_eq!(f.alloc(8, 8), Ok(-16));
        assert_eq!(f.alloc(1, 1), Ok(-17));
        assert_eq!(f.alloc(2, 2), Ok(-20));
        assert_eq!(f.alloc(16, 8), Ok(-40));
        assert_eq!(f.high_water(), 40);
    }

    #[test]
    fn release_reuses_space_and_keeps_the_high_water() {
        let mut f = Frame::new();
        assert_eq!(f.alloc(8, 8), Ok(-8));
        let mark = f.mark();
        assert_eq!(f.alloc(64, 8), Ok(-72));
        f.release(mark);
        assert_eq!(f.alloc(8, 8), Ok(-16));
        assert_eq!(f.high_water(), 72);
    }

    #[test]
    fn the_whole_stack_fits_and_one_byte_more_does_not() {
        let mut f = Frame::new();
        assert_eq!(f.alloc(512, 8), Ok(-512));
        let mut f = Frame::new();
        f.alloc(500, 4).unwrap();
        let err = f.alloc(16, 8).unwrap_err();
        assert_eq!(err, FrameError { needed: 520 });
        assert_eq!(
            err.to_string(),
            "the program needs 520 bytes of stack; eBPF allows 512"
        );
        // A failed allocation reserves nothing.
        assert_eq!(f.alloc(8, 4), Ok(-508));
    }

    #[test]
    fn huge_requests_do_not_overflow() {
        let mut f = Frame::new();
        f.alloc(8, 8).unwrap();
        assert!(f.alloc(u32::MAX, 8).is_err());
    }
}
