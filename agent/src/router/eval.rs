//! Scoring the router on a labelled set of requests: which tool or intent, which
//! arguments, how many it answers, how fast.

use super::{Route, RouterModel};
use crate::llm::LlmError;
use crate::message::Message;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::time::{Duration, Instant};

/// One labelled request.
#[derive(Debug, Clone, Deserialize)]
pub struct Case {
    /// What the person wrote.
    pub text: String,
    /// The tool, `greeting`, `help`, `thanks`, or `unknown` (must not be answered).
    pub expect: String,
    /// The arguments a correct call has (tool cases that state them all).
    #[serde(default)]
    pub arguments: Option<Map<String, Value>>,
    /// The required arguments the request leaves out (the router should ask for them).
    #[serde(default)]
    pub missing: Option<Vec<String>>,
    /// For a product named rather than numbered: the `search_products` arguments that
    /// look it up before the tool is called.
    #[serde(default)]
    pub lookup: Option<Map<String, Value>>,
}

/// Parses the JSON Lines fixture.
pub fn parse_cases(jsonl: &str) -> Result<Vec<Case>, serde_json::Error> {
    jsonl
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect()
}

/// How the router did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Cases.
    pub cases: usize,
    /// Cases whose label (tool, intent or unknown) was right.
    pub label_correct: usize,
    /// Cases the router answered (did not say "I don't know").
    pub answered: usize,
    /// Answered cases that were right in full: the label, and for a call the exact
    /// arguments, for a question exactly the missing parameters.
    pub answered_exact: usize,
    /// Tool cases with arguments where the router chose that tool.
    pub argument_cases: usize,
    /// Of those, with exactly the expected arguments.
    pub arguments_correct: usize,
    /// Out-of-scope or multi-intent cases the router answered anyway.
    pub unknown_answered: usize,
    /// Time per routed request.
    pub latencies: Vec<Duration>,
    /// The cases it got wrong: text, expected, what it did.
    pub mistakes: Vec<(String, String, String)>,
}

impl Report {
    /// A share, 0 when there is nothing to divide.
    pub fn share(n: usize, of: usize) -> f64 {
        if of == 0 { 0.0 } else { n as f64 / of as f64 }
    }
}

/// Routes each case as the first message of a conversation and scores it.
pub async fn evaluate(router: &RouterModel, cases: &[Case]) -> Result<Report, LlmError> {
    let mut report = Report {
        cases: cases.len(),
        ..Report::default()
    };
    for case in cases {
        let messages = [Message::User {
            content: case.text.clone(),
        }];
        let started = Instant::now();
        let route = router.route(&messages).await?;
        report.latencies.push(started.elapsed());
        let label_ok = route.label() == case.expect;
        report.label_correct += usize::from(label_ok);
        let answered = !matches!(route, Route::Unknown { .. });
        report.answered += usize::from(answered);
        if answered && case.expect == "unknown" {
            report.unknown_answered += 1;
        }
        let exact = label_ok
            && match (&route, &case.arguments, &case.missing) {
                (Route::Call { arguments, .. }, Some(expected), _) => arguments == expected,
                (Route::Ask { missing, .. }, _, Some(expected)) => missing == expected,
                (Route::Resolve { arguments, .. }, _, _) => case.lookup.as_ref() == Some(arguments),
                (Route::Chat { .. }, None, None) => true,
                (Route::Unknown { .. }, _, _) => true,
                _ => false,
            };
        if let (Some(expected), true) = (&case.arguments, label_ok) {
            report.argument_cases += 1;
            if let Route::Call { arguments, .. } = &route
                && arguments == expected
            {
                report.arguments_correct += 1;
            }
        }
        if answered && exact {
            report.answered_exact += 1;
        }
        if !exact {
            let did = match &route {
                Route::Call {
                    tool, arguments, ..
                } => format!("{tool} {}", Value::Object(arguments.clone())),
                Route::Ask { tool, missing, .. } => format!("{tool} asks for {missing:?}"),
                Route::Resolve {
                    tool, arguments, ..
                } => format!(
                    "{tool} after search_products {}",
                    Value::Object(arguments.clone())
                ),
                Route::Chat { intent, .. } => intent.clone(),
                Route::Unknown { best } => format!(
                    "unknown (best {})",
                    best.as_ref()
                        .map_or("-".into(), |b| format!("{} {:.3}", b.label, b.score))
                ),
            };
            let expected = match (&case.arguments, &case.missing) {
                _ if case.lookup.is_some() => format!(
                    "{} after search_products {}",
                    case.expect,
                    Value::Object(case.lookup.clone().unwrap_or_default())
                ),
                (Some(a), _) => format!("{} {}", case.expect, Value::Object(a.clone())),
                (_, Some(m)) => format!("{} asks for {m:?}", case.expect),
                _ => case.expect.clone(),
            };
            report.mistakes.push((case.text.clone(), expected, did));
        }
    }
    Ok(report)
}
