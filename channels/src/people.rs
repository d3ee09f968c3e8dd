//! Who is writing: staff (by their ids in `[[staff]]`) or a customer.

use shopkeeper_agent::Decider;
use shopkeeper_agent::config::StaffMember;
use shopkeeper_tools::Role;
use std::collections::HashMap;

/// A person on a chat platform, as the shop knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Staff name, or `platform:user_id` for a customer.
    pub name: String,
    /// Their role; customers are `customer`.
    pub role: Role,
}

impl Person {
    /// Whether this is a customer (anyone not listed as staff).
    pub fn is_customer(&self) -> bool {
        self.role == Role::Customer
    }

    /// The person as the decider of a click.
    pub fn decider(&self) -> Decider {
        Decider {
            name: self.name.clone(),
            role: self.role,
            customer_facing: self.is_customer(),
        }
    }
}

/// Maps platform user ids to staff; everyone else is a customer.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    staff: HashMap<(String, String), (String, Role)>,
}

impl Directory {
    /// The directory of `[[staff]]`.
    pub fn new(staff: &[StaffMember]) -> Self {
        let mut map = HashMap::new();
        for m in staff {
            let ids = [
                ("telegram", m.telegram.map(|i| i.to_string())),
                ("slack", m.slack.clone()),
                ("discord", m.discord.map(|i| i.to_string())),
            ];
            for (platform, id) in ids {
                if let Some(id) = id {
                    map.insert((platform.to_string(), id), (m.name.clone(), m.role));
                }
            }
        }
        Self { staff: map }
    }

    /// Who `user` on `platform` is.
    pub fn person(&self, platform: &str, user: &str) -> Person {
        match self.staff.get(&(platform.to_string(), user.to_string())) {
            Some((name, role)) => Person {
                name: name.clone(),
                role: *role,
            },
            None => Person {
                name: format!("{platform}:{user}"),
                role: Role::Customer,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_are_known_by_platform_and_everyone_else_is_a_customer() {
        let d = Directory::new(&[StaffMember {
            name: "ana".into(),
            role: Role::Manager,
            telegram: Some(42),
            slack: Some("U1".into()),
            discord: None,
        }]);
        assert_eq!(d.person("telegram", "42").role, Role::Manager);
        assert_eq!(d.person("slack", "U1").name, "ana");
        let stranger = d.person("discord", "42");
        assert!(stranger.is_customer());
        assert_eq!(stranger.name, "discord:42");
        assert!(stranger.decider().customer_facing);
    }
}
