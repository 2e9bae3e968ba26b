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
    /// `(uint8)x` truncates, then extends by the new signedness;
    /// `(struct path *)arg0` gives an address a kernel type.
    Cast {
        to: TypeName,
        operand: Box<Expr>,
    },
    /// `*p`: what a pointer points to.
    Deref(Box<Expr>),
    /// `p[i]`, `array[i]`: an element in memory.
    Index {
        base: Box<Expr>,
        index: Box<Expr>,
    },
    /// `sizeof(struct task_struct)`, `sizeof(x)`: a constant.
    Sizeof(SizeofOperand),
    /// `offsetof(struct sock, __sk_common.skc_dport)`: a constant.
    Offsetof {
        record: TypeName,
        /// The member path, outermost first.
        members: Vec<Ident>,
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

/// A type written in the program: `uint32`, `struct sock *`, `enum pid_type`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeName {
    pub base: TypeBase,
    /// How many `*` follow the base.
    pub pointers: u8,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeBase {
    Int(crate::types::IntType),
    Struct(String),
    Union(String),
    Enum(String),
}

impl std::fmt::Display for TypeName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.base {
            TypeBase::Int(i) => write!(f, "{}", crate::types::Type::Int(*i))?,
            TypeBase::Struct(n) => write!(f, "struct {n}")?,
            TypeBase::Union(n) => write!(f, "union {n}")?,
            TypeBase::Enum(n) => write!(f, "enum {n}")?,
        }
        if self.pointers > 0 {
            write!(f, " {}", "*".repeat(self.pointers as usize))?;
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum SizeofOperand {
    Type(TypeName),
    Expr(Box<Expr>),
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

impl Expr {
    /// Whether this expression or one inside it satisfies `wanted`.
    pub fn any(&self, wanted: &dyn Fn(&Expr) -> bool) -> bool {
        wanted(self) || crate::parser::tree::children(&self.kind).any(|e| e.any(wanted))
    }
}

impl Probe {
    /// Whether an expression of the predicate or body satisfies `wanted`.
    pub fn any_expr(&self, wanted: &dyn Fn(&Expr) -> bool) -> bool {
        self.predicate.as_ref().is_some_and(|p| p.any(wanted)) || self.body.any_expr(wanted)
    }
}

impl Block {
    pub fn any_expr(&self, wanted: &dyn Fn(&Expr) -> bool) -> bool {
        self.stmts.iter().any(|stmt| match &stmt.kind {
            StmtKind::Expr(e) => e.any(wanted),
            StmtKind::Assign { target, value, .. } => target.any(wanted) || value.any(wanted),
            StmtKind::If {
                cond,
                then,
                otherwise,
            } => {
                cond.any(wanted)
                    || then.any_expr(wanted)
                    || otherwise.as_ref().is_some_and(|b| b.any_expr(wanted))
            }
            StmtKind::While { cond, body } => cond.any(wanted) || body.any_expr(wanted),
            StmtKind::Unroll { body, .. } => body.any_expr(wanted),
            StmtKind::Break | StmtKind::Continue => false,
        })
    }
}
