//! BPF helper functions: the kernel's stable ids (`enum bpf_func_id` in
//! `include/uapi/linux/bpf.h`) and the names listings print.
//!
//! Only helpers a tracing program can call are listed; networking helpers are
//! left out on purpose, so a typo in the lowering cannot reach them.

macro_rules! helpers {
    ($($(#[$doc:meta])* $variant:ident = $id:literal, $name:literal;)*) => {
        /// A BPF helper function, called with `call` (arguments in r1–r5,
        /// result in r0, r1–r5 clobbered).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u32)]
        pub enum Helper {
            $($(#[$doc])* $variant = $id,)*
        }

        impl Helper {
            /// Every helper, in id order.
            pub const ALL: &'static [Helper] = &[$(Helper::$variant,)*];

            /// The kernel's helper id: the `imm` of the `call` instruction.
            pub const fn id(self) -> u32 {
                self as u32
            }

            /// The kernel's name without the `bpf_` prefix, as listings show it.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Helper::$variant => $name,)*
                }
            }

            /// The helper with this id, if it is one of ours.
            pub const fn from_id(id: u32) -> Option<Helper> {
                match id {
                    $($id => Some(Helper::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

helpers! {
    MapLookupElem = 1, "map_lookup_elem";
    MapUpdateElem = 2, "map_update_elem";
    MapDeleteElem = 3, "map_delete_elem";
    /// Superseded by `ProbeReadKernel`/`ProbeReadUser`; aya rewrites those to
    /// this one on kernels older than 5.5.
    ProbeRead = 4, "probe_read";
    KtimeGetNs = 5, "ktime_get_ns";
    TracePrintk = 6, "trace_printk";
    GetPrandomU32 = 7, "get_prandom_u32";
    GetSmpProcessorId = 8, "get_smp_processor_id";
    TailCall = 12, "tail_call";
    GetCurrentPidTgid = 14, "get_current_pid_tgid";
    GetCurrentUidGid = 15, "get_current_uid_gid";
    GetCurrentComm = 16, "get_current_comm";
    PerfEventRead = 22, "perf_event_read";
    PerfEventOutput = 25, "perf_event_output";
    GetStackid = 27, "get_stackid";
    GetCurrentTask = 35, "get_current_task";
    ProbeWriteUser = 36, "probe_write_user";
    GetNumaNodeId = 42, "get_numa_node_id";
    ProbeReadStr = 45, "probe_read_str";
    PerfEventReadValue = 55, "perf_event_read_value";
    PerfProgReadValue = 56, "perf_prog_read_value";
    OverrideReturn = 58, "override_return";
    GetStack = 67, "get_stack";
    GetCurrentCgroupId = 80, "get_current_cgroup_id";
    MapPushElem = 87, "map_push_elem";
    MapPopElem = 88, "map_pop_elem";
    MapPeekElem = 89, "map_peek_elem";
    SpinLock = 93, "spin_lock";
    SpinUnlock = 94, "spin_unlock";
    Strtol = 105, "strtol";
    Strtoul = 106, "strtoul";
    SendSignal = 109, "send_signal";
    ProbeReadUser = 112, "probe_read_user";
    ProbeReadKernel = 113, "probe_read_kernel";
    ProbeReadUserStr = 114, "probe_read_user_str";
    ProbeReadKernelStr = 115, "probe_read_kernel_str";
    SendSignalThread = 117, "send_signal_thread";
    Jiffies64 = 118, "jiffies64";
    ReadBranchRecords = 119, "read_branch_records";
    GetNsCurrentPidTgid = 120, "get_ns_current_pid_tgid";
    GetCurrentAncestorCgroupId = 123, "get_current_ancestor_cgroup_id";
    KtimeGetBootNs = 125, "ktime_get_boot_ns";
    RingbufOutput = 130, "ringbuf_output";
    RingbufReserve = 131, "ringbuf_reserve";
    RingbufSubmit = 132, "ringbuf_submit";
    RingbufDiscard = 133, "ringbuf_discard";
    RingbufQuery = 134, "ringbuf_query";
    GetTaskStack = 141, "get_task_stack";
    DPath = 147, "d_path";
    CopyFromUser = 148, "copy_from_user";
    PerCpuPtr = 153, "per_cpu_ptr";
    ThisCpuPtr = 154, "this_cpu_ptr";
    GetCurrentTaskBtf = 158, "get_current_task_btf";
    KtimeGetCoarseNs = 160, "ktime_get_coarse_ns";
    Snprintf = 165, "snprintf";
    GetFuncIp = 173, "get_func_ip";
    GetAttachCookie = 174, "get_attach_cookie";
    TaskPtRegs = 175, "task_pt_regs";
    TraceVprintk = 177, "trace_vprintk";
    FindVma = 180, "find_vma";
    Loop = 181, "loop";
    Strncmp = 182, "strncmp";
    GetFuncArg = 183, "get_func_arg";
    GetFuncRet = 184, "get_func_ret";
    GetFuncArgCnt = 185, "get_func_arg_cnt";
    CopyFromUserTask = 191, "copy_from_user_task";
    MapLookupPercpuElem = 195, "map_lookup_percpu_elem";
    KtimeGetTaiNs = 208, "ktime_get_tai_ns";
}

#[cfg(test)]
mod tests {
    use super::Helper;

    #[test]
    fn ids_match_the_kernel_uapi() {
        let expected = [
            (Helper::MapLookupElem, 1),
            (Helper::MapUpdateElem, 2),
            (Helper::MapDeleteElem, 3),
            (Helper::ProbeRead, 4),
            (Helper::KtimeGetNs, 5),
            (Helper::TracePrintk, 6),
            (Helper::GetPrandomU32, 7),
            (Helper::GetSmpProcessorId, 8),
            (Helper::GetCurrentPidTgid, 14),
            (Helper::GetCurrentUidGid, 15),
            (Helper::GetCurrentComm, 16),
            (Helper::PerfEventOutput, 25),
            (Helper::GetStackid, 27),
            (Helper::GetCurrentTask, 35),
            (Helper::GetNumaNodeId, 42),
            (Helper::ProbeReadStr, 45),
            (Helper::GetCurrentCgroupId, 80),
            (Helper::SendSignal, 109),
            (Helper::ProbeReadUser, 112),
            (Helper::ProbeReadKernel, 113),
            (Helper::ProbeReadUserStr, 114),
            (Helper::ProbeReadKernelStr, 115),
            (Helper::Jiffies64, 118),
            (Helper::GetNsCurrentPidTgid, 120),
            (Helper::RingbufOutput, 130),
            (Helper::RingbufReserve, 131),
            (Helper::RingbufSubmit, 132),
            (Helper::RingbufDiscard, 133),
        ];
        for (helper, id) in expected {
            assert_eq!(helper.id(), id, "{helper:?}");
        }
    }

    #[test]
    fn from_id_inverts_id_and_names_are_unique() {
        let mut names = std::collections::HashSet::new();
        for &helper in Helper::ALL {
            assert_eq!(Helper::from_id(helper.id()), Some(helper));
            assert!(
                names.insert(helper.name()),
                "duplicate name {}",
                helper.name()
            );
        }
        assert_eq!(Helper::from_id(0), None);
        assert_eq!(Helper::from_id(9), None);
    }
}
