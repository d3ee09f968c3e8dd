//! Money as platforms keep it: an exact decimal amount in a named currency.

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

/// An ISO 4217 currency code such as `USD`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency(String);

impl Currency {
    /// US dollars, the built-in store's currency.
    pub fn usd() -> Self {
        Self("USD".into())
    }

    /// The code, e.g. `EUR`.
    pub fn code(&self) -> &str {
        &self.0
    }

    /// Digits after the decimal point in everyday amounts (0 for yen, 3 for dinars).
    pub fn minor_units(&self) -> u32 {
        match self.0.as_str() {
            "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "UGX" | "XAF" | "XOF" | "PYG" | "RWF" => 0,
            "BHD" | "KWD" | "OMR" | "JOD" | "TND" | "LYD" | "IQD" => 3,
            _ => 2,
        }
    }

    fn symbol(&self) -> Option<&'static str> {
        Some(match self.0.as_str() {
            "USD" => "$",
            "EUR" => "€",
            "GBP" => "£",
            "JPY" => "¥",
            _ => return None,
        })
    }
}

impl TryFrom<String> for Currency {
    type Error = String;

    fn try_from(code: String) -> Result<Self, Self::Error> {
        let upper = code.trim().to_ascii_uppercase();
        if upper.len() == 3 && upper.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(upper))
        } else {
            Err(format!(
                "{code:?} is not a currency code (three letters, e.g. USD)"
            ))
        }
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> Self {
        c.0
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Adding or comparing amounts in two currencies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot combine {0} with {1}")]
pub struct CurrencyMismatch(pub Currency, pub Currency);

/// An exact amount in one currency; serialized as `{"amount": "12.50", "currency": "USD"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    /// The amount, exact (a decimal string in JSON).
    pub amount: Decimal,
    /// Its currency.
    pub currency: Currency,
}

impl Money {
    /// `amount` of `currency`.
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Self { amount, currency }
    }

    /// Nothing, in `currency`.
    pub fn zero(currency: Currency) -> Self {
        Self::new(Decimal::ZERO, currency)
    }

    /// Parses a decimal string such as `"19.99"` in `currency`.
    pub fn parse(amount: &str, currency: Currency) -> Result<Self, String> {
        Decimal::from_str(amount.trim())
            .map(|a| Self::new(a, currency))
            .map_err(|e| format!("{amount:?} is not an amount: {e}"))
    }

    /// The sum, if both are in one currency.
    pub fn checked_add(&self, other: &Money) -> Result<Money, CurrencyMismatch> {
        self.same_currency(other)?;
        Ok(Self::new(self.amount + other.amount, self.currency.clone()))
    }

    /// The difference, if both are in one currency.
    pub fn checked_sub(&self, other: &Money) -> Result<Money, CurrencyMismatch> {
        self.same_currency(other)?;
        Ok(Self::new(self.amount - other.amount, self.currency.clone()))
    }

    /// This amount times `n`.
    pub fn times(&self, n: u32) -> Money {
        Self::new(self.amount * Decimal::from(n), self.currency.clone())
    }

    /// Whether the amount is zero.
    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    fn same_currency(&self, other: &Money) -> Result<(), CurrencyMismatch> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(CurrencyMismatch(
                self.currency.clone(),
                other.currency.clone(),
            ))
        }
    }
}

/// Groups the whole part of a plain decimal string: `4079.45` -> `4,079.45`.
fn grouped(plain: &str) -> String {
    let (whole, frac) = plain
        .split_once('.')
        .map_or((plain, None), |(w, f)| (w, Some(f)));
    let mut out = String::with_capacity(plain.len() + whole.len() / 3);
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

impl fmt::Display for Money {
    /// `$4,079.45`, `-€3.10`, `1,200 JPY`-style `¥1,200`, or `12.50 CHF` without a symbol.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dp = self.currency.minor_units();
        let rounded = self
            .amount
            .round_dp_with_strategy(dp, rust_decimal::RoundingStrategy::MidpointNearestEven);
        let sign = if rounded.is_sign_negative() && !rounded.is_zero() {
            "-"
        } else {
            ""
        };
        let plain = format!("{:.*}", dp as usize, rounded.abs());
        match self.currency.symbol() {
            Some(symbol) => write!(f, "{sign}{symbol}{}", grouped(&plain)),
            None => write!(f, "{sign}{} {}", grouped(&plain), self.currency),
        }
    }
}

/// An amount as a tool argument: a decimal string (`"19.99"`) or a plain number (`19.99`),
/// kept exact either way; the currency is the shop's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Amount(pub Decimal);

impl Amount {
    /// The amount in `currency`.
    pub fn money(self, currency: &Currency) -> Money {
        Money::new(self.0, currency.clone())
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.normalize())
    }
}

impl FromStr for Amount {
    type Err = rust_decimal::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Decimal::from_str(s.trim()).map(Amount)
    }
}

impl JsonSchema for Amount {
    fn schema_name() -> Cow<'static, str> {
        "Amount".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        // Either spelling is accepted; a string keeps every digit exactly as written.
        schemars::json_schema!({
            "anyOf": [
                {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$"},
                {"type": "number"}
            ],
            "description": "An amount in the shop's currency, e.g. \"19.99\"."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(s: &str) -> Money {
        Money::parse(s, Currency::usd()).unwrap()
    }

    #[test]
    fn amounts_are_exact() {
        let sum = usd("0.1").checked_add(&usd("0.2")).unwrap();
        assert_eq!(sum, usd("0.3"));
        assert_eq!(usd("19.99").times(3), usd("59.97"));
    }

    #[test]
    fn currencies_do_not_mix() {
        let eur = Money::parse("1", Currency::try_from("eur".to_string()).unwrap()).unwrap();
        assert!(usd("1").checked_add(&eur).is_err());
        assert!(Currency::try_from("dollars".to_string()).is_err());
    }

    #[test]
    fn display_follows_the_currency() {
        assert_eq!(usd("4079.45").to_string(), "$4,079.45");
        assert_eq!(usd("-3.1").to_string(), "-$3.10");
        assert_eq!(usd("0.125").to_string(), "$0.12", "half to even");
        let jpy = Money::parse("1200", Currency::try_from("JPY".to_string()).unwrap()).unwrap();
        assert_eq!(jpy.to_string(), "¥1,200");
        let chf = Money::parse("12.5", Currency::try_from("CHF".to_string()).unwrap()).unwrap();
        assert_eq!(chf.to_string(), "12.50 CHF");
    }

    #[test]
    fn amounts_parse_from_strings_and_numbers_exactly() {
        let a: Amount = serde_json::from_str("\"19.99\"").unwrap();
        let b: Amount = serde_json::from_str("19.99").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "19.99");
        let money = serde_json::to_value(a.money(&Currency::usd())).unwrap();
        assert_eq!(
            money,
            serde_json::json!({"amount": "19.99", "currency": "USD"})
        );
    }
}
