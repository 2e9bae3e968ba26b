//! Statements: assignments, `if`, loops, expression statements.

use super::cx::{FnCx, Loop, Operand};
use super::{expr, maps, strings, tuples, LowerError};
use crate::asm::Reg;
use rtrace_lang::ast::{Block, ExprKind, Stmt, StmtKind};
use rtrace_lang::types::Type;

/// Whether control can reach the end of a block or statement.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Flow {
    Continues,
    /// Every path left the probe (`exit()`) or jumped away (`break`,
    /// `continue`): nothing after it is emitted, since the verifier rejects
    /// unreachable instructions.
    Diverges,
}

pub fn block(cx: &mut FnCx, block: &Block) -> Result<Flow, LowerError> {
    for s in &block.stmts {
        if stmt(cx, s)? == Flow::Diverges {
            return Ok(Flow::Diverges);
        }
    }
    Ok(Flow::Continues)
}

fn stmt(cx: &mut FnCx, stmt: &Stmt) -> Result<Flow, LowerError> {
    cx.span = stmt.span;
    cx.asm.set_origin(stmt.span.start);
    // Temporaries of a statement die with it.
    let mark = cx.frame.mark();
    match &stmt.kind {
        StmtKind::Expr(e) => {
            let v = cx.eval(e)?;
            cx.release(v);
        }
        StmtKind::Assign { target, op, value } => match &target.kind {
            ExprKind::Map { .. } => maps::assign(cx, target, *op, value)?,
            ExprKind::Var(name) => {
                let slot = *cx
                    .vars
                    .get(name)
                    .ok_or_else(|| cx.internal(format!("no slot for ${name}")))?;
                match (slot, cx.type_of(target)) {
                    (Operand::Buf { off, .. }, Type::Tuple(t)) => {
                        tuples::assign_var(cx, name, value, off, t)?
                    }
                    (Operand::Buf { off, size }, _) => strings::eval_into(cx, value, off, size)?,
                    _ => {
                        let v = cx.eval(value)?;
                        cx.release(v);
                        let r = match op {
                            None => cx.to_reg(v, Reg::R0),
                            Some(op) => {
                                cx.move_to(Reg::R0, slot);
                                let src = cx.as_src(v, Reg::R1);
                                cx.asm.alu(maps::arith(*op), Reg::R0, src);
                                Reg::R0
                            }
                        };
                        cx.store_to(slot, r);
                    }
                }
            }
            _ => return Err(cx.internal("assignment to a non-lvalue")),
        },
        StmtKind::If {
            cond,
            then,
            otherwise,
        } => {
            let (else_label, end) = (cx.asm.label(), cx.asm.label());
            expr::branch_if_zero(cx, cond, else_label)?;
            cx.frame.release(mark);
            let then_flow = block(cx, then)?;
            let mut flow = Flow::Continues;
            if let Some(otherwise) = otherwise {
                if then_flow == Flow::Continues {
                    cx.asm.goto(end);
                }
                cx.asm.bind(else_label);
                if block(cx, otherwise)? == Flow::Diverges && then_flow == Flow::Diverges {
                    flow = Flow::Diverges;
                }
            } else {
                cx.asm.bind(else_label);
            }
            cx.asm.bind(end);
            cx.frame.release(mark);
            return Ok(flow);
        }
        StmtKind::While { cond, body } => {
            let (top, end) = (cx.asm.label(), cx.asm.label());
            cx.asm.bind(top);
            expr::branch_if_zero(cx, cond, end)?;
            cx.frame.release(mark);
            cx.loops.push(Loop {
                next: top,
                exit: end,
            });
            let body_flow = block(cx, body);
            cx.loops.pop();
            // The verifier proves the loop ends (or gives up at its limit).
            if body_flow? == Flow::Continues {
                cx.asm.goto(top);
            }
            cx.asm.bind(end);
        }
        StmtKind::Unroll { count, body, .. } => {
            for _ in 0..*count {
                if block(cx, body)? == Flow::Diverges {
                    cx.frame.release(mark);
                    return Ok(Flow::Diverges);
                }
            }
        }
        StmtKind::Break | StmtKind::Continue => {
            let innermost = *cx
                .loops
                .last()
                .ok_or_else(|| cx.internal("break or continue outside a loop"))?;
            let target = if stmt.kind == StmtKind::Break {
                innermost.exit
            } else {
                innermost.next
            };
            cx.asm.goto(target);
            cx.frame.release(mark);
            return Ok(Flow::Diverges);
        }
    }
    cx.frame.release(mark);
    Ok(if cx.take_left_probe() {
        Flow::Diverges
    } else {
        Flow::Continues
    })
}
