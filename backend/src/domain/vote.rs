use super::ValidationError;

/// A vote: exactly +1 or -1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScoreChange(i32);

impl ScoreChange {
    /// The only changes a vote may make.
    pub const ALLOWED: [i32; 2] = [1, -1];

    pub fn parse(raw: i64) -> Result<Self, ValidationError> {
        match raw {
            1 | -1 => Ok(Self(raw as i32)),
            other => Err(ValidationError::new(
                "A vote must change the score by exactly 1 or -1.",
                format!("score_increase: {other} not in {{1, -1}}"),
            )),
        }
    }

    pub fn value(self) -> i32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plus_or_minus_one() {
        assert_eq!(ScoreChange::parse(1).unwrap().value(), 1);
        assert_eq!(ScoreChange::parse(-1).unwrap().value(), -1);
        for bad in [0, 2, -2, i64::MAX, i64::MIN] {
            assert!(ScoreChange::parse(bad).is_err(), "{bad}");
        }
    }
}
