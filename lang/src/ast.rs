//! The syntax tree. Every node carries the byte span of the source it came
//! from, so later passes (checker, codegen, verifier-log mapping) can point
//! at the exact characters.
//!
//! Expressions carry an [`ExprId`], dense from 0, so passes keep their
//! results in side tables (`Vec<T>` indexed by id) instead of mutating the
//! tree.

/// A half-open byte range `[start, end)` into the source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// A name with the span where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Program {
    pub probes: Vec<Probe>,
    /// Number of expression ids handed out; side tables have this length.
    pub expr_count: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    /// `tracepoint:sched:sched_switch, interval:s:1` -> two attach points,
    /// kept as written; `lang::probes` parses them.
    pub attach_points: Vec<AttachPoint>,
    pub predicate: Option<Expr>,
    pub body: Block,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachPoint {
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// An expression evaluated for its effect: `printf(...)`, `@x++`, `exit()`.
    Expr(Expr),
    /// `@m[k] = v`, `$x = v`, and with `op`, `@m[k] += v`.
    Assign {
        target: Expr,
        op: Option<BinaryOp>,
        value: Expr,
    },
    /// `if (c) { .. } else if (d) { .. } else { .. }`; `else if` is an
    /// `else` block holding one `If` statement.
    If {
        cond: Expr,
        then: Block,
        otherwise: Option<Block>,
    },
    /// `while (c) { .. }`: bounded by the verifier's instruction limit.
    While { cond: Expr, body: Block },
    /// `unroll(N) { .. }`: the body emitted N times.
    Unroll {
        count: u64,
        count_span: Span,
        body: Block,
    },
    /// `break`: leaves the innermost `while`.
    Break,
    /// `continue`: the next iteration of the innermost `while`.
    Continue,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExprId(pub u32);

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub id: ExprId,
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// An integer literal; `-5` is `Unary(Neg, 5)`.
    Int(u64),
    /// A string literal with escapes already decoded.
    Str(String),
    /// A bare identifier: builtins such as `pid`, `comm`, `args`, `arg0`.
    Ident(String),
    /// `$name`
    Var(String),
    /// `$1`, `$2`, ...
    Positional(u32),
    /// `$#`
    PositionalCount,
    /// `@name`, `@name[k]`, `@name[k1, k2]`; `@` alone has an empty name.
    Map {
        name: String,
        keys: Vec<Expr>,
    },
    /// `name(args...)`
    Call {
        name: Ident,
        args: Vec<Expr>,
    },
    /// `base.field` or `base->field`.
    Field {
        base: Box<Expr>,
        field: Ident,
        arrow: bool,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `(uint8)x`: truncates, then extends by the new signedness.
    Cast {
        to: crate::types::IntType,
        operand: Box<Expr>,
    },
    /// `c ? a : b`
    Ternary {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    /// `(a, b, ...)`: two elements or more; `(a)` is just `a`.
    Tuple(Vec<Expr>),
    /// `tuple.N`: element N (from 0) of a tuple.
    TupleIndex {
        base: Box<Expr>,
        index: u64,
        /// Where `N` is written.
        index_span: Span,
    },
    /// `x++`, `--x`: the target is a map element or variable.
    Step {
        target: Box<Expr>,
        increment: bool,
        prefix: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `!x`
    Not,
    /// `~x`
    BitNot,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    BitAnd,
    BitOr,
    BitXor,
    Shl,
    Shr,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `&&`, short-circuit
    And,
    /// `||`, short-circuit
    Or,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        use BinaryOp::*;
        match self {
            Add => "+",
            Sub => "-",
            Mul => "*",
            Div => "/",
            Mod => "%",
            BitAnd => "&",
            BitOr => "|",
            BitXor => "^",
            Shl => "<<",
            Shr => ">>",
            Eq => "==",
            Ne => "!=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            And => "&&",
            Or => "||",
        }
    }

    pub fn is_comparison(self) -> bool {
        use BinaryOp::*;
        matches!(self, Eq | Ne | Lt | Le | Gt | Ge)
    }

    pub fn is_logical(self) -> bool {
        matches!(self, BinaryOp::And | BinaryOp::Or)
    }
}

impl UnaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            UnaryOp::Neg => "-",
            UnaryOp::Not => "!",
            UnaryOp::BitNot => "~",
        }
    }
}
