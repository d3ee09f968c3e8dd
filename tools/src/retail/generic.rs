//! Tools that touch no store: arithmetic and the handoff to a human.

use super::args::{CalculateArgs, TransferArgs};
use crate::effect::Effect;
use crate::error::ToolError;
use crate::retail::money::round2;
use crate::tool::{CallContext, Tool};
use async_trait::async_trait;
use serde_json::{Value, json};

/// Evaluates arithmetic so the model does not do sums in its head.
pub struct CalculateTool;

#[async_trait]
impl Tool for CalculateTool {
    type Args = CalculateArgs;
    const NAME: &'static str = "calculate";
    const DESCRIPTION: &'static str = "Calculate the result of a mathematical expression.";
    const EFFECT: Effect = Effect::Read;
    const IDEMPOTENT: bool = true;
    const EXAMPLES: &'static [&'static str] = &[
        "calculate 129.99 * 3",
        "what is 45.5 + 23.75",
        "compute (100 - 15) / 2",
    ];

    async fn call(&self, args: CalculateArgs, _ctx: &CallContext) -> Result<Value, ToolError> {
        let value = evaluate(&args.expression).map_err(|e| ToolError::invalid(Self::NAME, e))?;
        Ok(json!(round2(value)))
    }

    async fn render(&self, args: &CalculateArgs) -> String {
        format!("Calculate {}", args.expression)
    }
}

/// Hands the conversation to a human agent with a summary.
pub struct TransferToHumanAgentsTool;

#[async_trait]
impl Tool for TransferToHumanAgentsTool {
    type Args = TransferArgs;
    const NAME: &'static str = "transfer_to_human_agents";
    const DESCRIPTION: &'static str = "Transfer the user to a human agent, with a summary of the user's issue.\n\nOnly transfer if\n -  the user explicitly asks for a human agent\n -  given the policy and the available tools, you cannot solve the user's issue.";
    const EFFECT: Effect = Effect::Draft;
    const IDEMPOTENT: bool = false;
    const EXAMPLES: &'static [&'static str] = &[
        "I want to talk to a human",
        "connect me with a real person",
        "get me an agent please",
        "escalate this to a person",
    ];

    async fn call(&self, args: TransferArgs, _ctx: &CallContext) -> Result<Value, ToolError> {
        tracing::info!(summary = %args.summary, "conversation handed to a human agent");
        Ok(Value::String("Transfer successful".into()))
    }

    async fn render(&self, args: &TransferArgs) -> String {
        format!("Hand the conversation to a human agent: {}", args.summary)
    }
}

/// Evaluates `+ - * / // ** ( )` over decimal numbers, with Python's precedence.
pub fn evaluate(expression: &str) -> Result<f64, String> {
    if let Some(bad) = expression
        .chars()
        .find(|c| !(c.is_ascii_digit() || "+-*/(). ".contains(*c)))
    {
        return Err(format!(
            "invalid character {bad:?} in expression: only numbers, + - * /, parentheses and spaces are allowed"
        ));
    }
    let tokens: Vec<char> = expression.chars().filter(|c| *c != ' ').collect();
    let mut parser = Parser { tokens, pos: 0 };
    let value = parser.sum()?;
    if parser.pos != parser.tokens.len() {
        return Err(format!(
            "unexpected {:?} at position {}",
            parser.tokens[parser.pos], parser.pos
        ));
    }
    if value.is_finite() {
        Ok(value)
    } else {
        Err("the result is not a finite number".into())
    }
}

struct Parser {
    tokens: Vec<char>,
    pos: usize,
}

impl Parser {
    fn peek(&self, s: &str) -> bool {
        let n = s.chars().count();
        self.tokens.len() >= self.pos + n
            && self.tokens[self.pos..self.pos + n]
                .iter()
                .copied()
                .eq(s.chars())
    }

    fn eat(&mut self, s: &str) -> bool {
        let found = self.peek(s);
        if found {
            self.pos += s.chars().count();
        }
        found
    }

    fn sum(&mut self) -> Result<f64, String> {
        let mut value = self.product()?;
        loop {
            if self.eat("+") {
                value += self.product()?;
            } else if self.eat("-") {
                value -= self.product()?;
            } else {
                return Ok(value);
            }
        }
    }

    fn product(&mut self) -> Result<f64, String> {
        let mut value = self.unary()?;
        loop {
            if self.peek("**") {
                return Ok(value);
            } else if self.eat("//") {
                let d = self.unary()?;
                value = nonzero(d).map(|d| (value / d).floor())?;
            } else if self.eat("*") {
                value *= self.unary()?;
            } else if self.eat("/") {
                let d = self.unary()?;
                value = nonzero(d).map(|d| value / d)?;
            } else {
                return Ok(value);
            }
        }
    }

    fn unary(&mut self) -> Result<f64, String> {
        if self.eat("-") {
            Ok(-self.unary()?)
        } else if self.eat("+") {
            self.unary()
        } else {
            self.power()
        }
    }

    fn power(&mut self) -> Result<f64, String> {
        let base = self.atom()?;
        if self.eat("**") {
            // Right-associative, and binds tighter than a unary minus on its left.
            Ok(base.powf(self.unary()?))
        } else {
            Ok(base)
        }
    }

    fn atom(&mut self) -> Result<f64, String> {
        if self.eat("(") {
            let value = self.sum()?;
            if !self.eat(")") {
                return Err("missing closing parenthesis".into());
            }
            return Ok(value);
        }
        let start = self.pos;
        while self.pos < self.tokens.len()
            && (self.tokens[self.pos].is_ascii_digit() || self.tokens[self.pos] == '.')
        {
            self.pos += 1;
        }
        let text: String = self.tokens[start..self.pos].iter().collect();
        if text.is_empty() {
            return Err(match self.tokens.get(self.pos) {
                Some(c) => format!("expected a number at position {}, found {c:?}", self.pos),
                None => "expected a number at the end of the expression".into(),
            });
        }
        text.parse()
            .map_err(|_| format!("{text:?} is not a number"))
    }
}

fn nonzero(d: f64) -> Result<f64, String> {
    if d == 0.0 {
        Err("division by zero".into())
    } else {
        Ok(d)
    }
}

#[cfg(test)]
mod tests {
    use super::evaluate;

    #[test]
    fn follows_python_precedence() {
        assert_eq!(evaluate("2 + 2").ok(), Some(4.0));
        assert_eq!(evaluate("2 + 3 * 4").ok(), Some(14.0));
        assert_eq!(evaluate("(2 + 3) * 4").ok(), Some(20.0));
        assert_eq!(evaluate("-2 ** 2").ok(), Some(-4.0));
        assert_eq!(evaluate("2 ** 3 ** 2").ok(), Some(512.0));
        assert_eq!(evaluate("7 // 2").ok(), Some(3.0));
        assert_eq!(evaluate("10 / 4").ok(), Some(2.5));
        assert_eq!(
            evaluate("155.33 - 147.05 + 268.77 - 235.13")
                .map(crate::retail::money::round2)
                .ok(),
            Some(41.92)
        );
    }

    #[test]
    fn rejects_what_is_not_arithmetic() {
        assert!(evaluate("__import__('os')").is_err());
        assert!(evaluate("1 / 0").is_err());
        assert!(evaluate("(1 + 2").is_err());
        assert!(evaluate("1 +").is_err());
        assert!(evaluate("1.2.3").is_err());
    }
}
