//! Statements: assignments, `if`, expression statements.

use super::cx::{FnCx, Operand};
use super::{expr, maps, strings, LowerError};
use crate::asm::Reg;
use rtrace_lang::ast::{Block, ExprKind, Stmt, StmtKind};

pub fn block(cx: &mut FnCx, block: &Block) -> Result<(), LowerError> {
    for s in &block.stmts {
        stmt(cx, s)?;
    }
    Ok(())
}

fn stmt(cx: &mut FnCx, stmt: &Stmt) -> Result<(), LowerError> {
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
                match slot {
                    Operand::Buf { off, size } => strings::eval_into(cx, value, off, size)?,
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
            block(cx, then)?;
            if let Some(otherwise) = otherwise {
                cx.asm.goto(end);
                cx.asm.bind(else_label);
                block(cx, otherwise)?;
            } else {
                cx.asm.bind(else_label);
            }
            cx.asm.bind(end);
        }
    }
    cx.frame.release(mark);
    Ok(())
}
