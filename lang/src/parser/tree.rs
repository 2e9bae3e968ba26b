//! The node constructors grammar actions call where a plain struct literal
//! is not enough: expressions get dense ids, and nesting depth is capped.
//!
//! The cap matters because later passes, and even dropping the tree, recurse
//! once per level. A chain like `!!!!...1` or `else if ... else if` is
//! reduced all at once at its end, so the only place to stop it growing is
//! here, as each node is built: an over-deep node is replaced by a leaf and
//! the error is reported when the parse finishes.

use crate::ast::{Block, Expr, ExprId, ExprKind, SizeofOperand, Span, Stmt, StmtKind};
use crate::lexer::MAX_NESTING;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;

/// Grammar actions get this by shared reference, hence the cells.
pub(super) struct Tree {
    next_id: Cell<u32>,
    /// The nesting depth of every expression built so far, by id.
    depths: RefCell<Vec<u32>>,
    /// The nesting depth of every `if` statement built so far, by where it
    /// starts.
    if_depths: RefCell<HashMap<u32, u32>>,
    /// Where nesting first went past [`MAX_NESTING`].
    too_deep: Cell<Option<Span>>,
}

impl Tree {
    pub(super) fn new() -> Tree {
        Tree {
            next_id: Cell::new(0),
            depths: RefCell::new(Vec::new()),
            if_depths: RefCell::new(HashMap::new()),
            too_deep: Cell::new(None),
        }
    }

    /// How many expression ids were handed out.
    pub(super) fn expr_count(&self) -> u32 {
        self.next_id.get()
    }

    pub(super) fn too_deep(&self) -> Option<Span> {
        self.too_deep.get()
    }

    fn exceeded(&self, span: Span) {
        if self.too_deep.get().is_none() {
            self.too_deep.set(Some(span));
        }
    }

    pub(super) fn expr(&self, kind: ExprKind, start: usize, end: usize) -> Expr {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        let span = Span::new(start, end);
        let mut depths = self.depths.borrow_mut();
        let mut depth = 1 + children(&kind)
            .map(|c| depths[c.id.0 as usize])
            .max()
            .unwrap_or(0);
        let kind = if depth > MAX_NESTING {
            self.exceeded(span);
            depth = 1;
            ExprKind::Int(0)
        } else {
            kind
        };
        depths.push(depth);
        Expr {
            id: ExprId(id),
            kind,
            span,
        }
    }

    /// An `if` statement. Its depth counts the `if`s nested in its
    /// blocks, `else if` chains included.
    pub(super) fn if_stmt(
        &self,
        cond: Expr,
        then: Block,
        otherwise: Option<Block>,
        start: usize,
        end: usize,
    ) -> Stmt {
        let span = Span::new(start, end);
        let mut depths = self.if_depths.borrow_mut();
        let nested = then
            .stmts
            .iter()
            .chain(otherwise.iter().flat_map(|b| &b.stmts));
        let depth = 1 + nested
            .filter_map(|s| depths.get(&s.span.start))
            .max()
            .copied()
            .unwrap_or(0);
        let (then, otherwise) = if depth > MAX_NESTING {
            self.exceeded(span);
            (
                Block {
                    stmts: Vec::new(),
                    span: then.span,
                },
                None,
            )
        } else {
            depths.insert(span.start, depth);
            (then, otherwise)
        };
        Stmt {
            kind: StmtKind::If {
                cond,
                then,
                otherwise,
            },
            span,
        }
    }
}

/// The direct subexpressions of an expression.
pub(crate) fn children(kind: &ExprKind) -> impl Iterator<Item = &Expr> {
    let (list, boxed): (&[Expr], [Option<&Expr>; 3]) = match kind {
        ExprKind::Map { keys: list, .. }
        | ExprKind::Call { args: list, .. }
        | ExprKind::Tuple(list) => (list, [None; 3]),
        ExprKind::Field { base: e, .. }
        | ExprKind::Unary { operand: e, .. }
        | ExprKind::Step { target: e, .. }
        | ExprKind::TupleIndex { base: e, .. }
        | ExprKind::Cast { operand: e, .. }
        | ExprKind::Deref(e)
        | ExprKind::Sizeof(SizeofOperand::Expr(e)) => (&[], [Some(e), None, None]),
        ExprKind::Binary { lhs, rhs, .. }
        | ExprKind::Index {
            base: lhs,
            index: rhs,
        } => (&[], [Some(lhs), Some(rhs), None]),
        ExprKind::Ternary {
            cond,
            then,
            otherwise,
        } => (&[], [Some(cond), Some(then), Some(otherwise)]),
        ExprKind::Int(_)
        | ExprKind::Str(_)
        | ExprKind::Ident(_)
        | ExprKind::Var(_)
        | ExprKind::Positional(_)
        | ExprKind::PositionalCount
        | ExprKind::Sizeof(SizeofOperand::Type(_))
        | ExprKind::Offsetof { .. } => (&[], [None; 3]),
    };
    list.iter().chain(boxed.into_iter().flatten())
}
