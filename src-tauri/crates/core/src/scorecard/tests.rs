use proptest::prelude::*;
use time::macros::datetime;

use super::*;
use crate::rubric::Category;

fn judgement(outcome: Outcome) -> Judgement {
    Judgement {
        outcome,
        measured: String::new(),
        threshold: String::new(),
        source: String::new(),
        measured_at: None,
        explanation: String::new(),
    }
}

fn rubric_of(points: &[f64]) -> Rubric {
    Rubric {
        categories: vec![Category {
            id: "c".into(),
            name: "C".into(),
            weight: points.iter().sum(),
            checks: points
                .iter()
                .enumerate()
                .map(|(i, p)| CheckDef {
                    id: format!("c.{i}"),
                    name: format!("check {i}"),
                    kind: "tls".into(),
                    points: *p,
                    pass: None,
                    partial: None,
                    min_samples: None,
                    min_hours: None,
                })
                .collect(),
        }],
    }
}

fn assemble(rubric: &Rubric, outcomes: &[Outcome]) -> Scorecard {
    let mut it = outcomes.iter();
    Scorecard::assemble(rubric, "prod", datetime!(2026-11-22 10:00 UTC), |_| {
        judgement(*it.next().expect("one outcome per check"))
    })
}

fn outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        Just(Outcome::Pass),
        Just(Outcome::Partial),
        Just(Outcome::Fail),
        Just(Outcome::Unknown)
    ]
}

fn points_and_outcomes() -> impl Strategy<Value = (Vec<f64>, Vec<Outcome>)> {
    prop::collection::vec((1u32..=40, outcome()), 1..30).prop_map(|v| {
        v.into_iter()
            .map(|(half_points, o)| (half_points as f64 / 2.0, o))
            .unzip()
    })
}

#[test]
fn partial_is_half_rounded_down_to_a_half_point() {
    assert_eq!(Outcome::Partial.earned(5.0), 2.5);
    assert_eq!(Outcome::Partial.earned(3.0), 1.5);
    assert_eq!(Outcome::Partial.earned(2.5), 1.0);
    assert_eq!(Outcome::Partial.earned(0.5), 0.0);
    assert_eq!(Outcome::Unknown.earned(8.0), 0.0);
}

#[test]
fn grades_follow_rubric_md() {
    let cases = [
        (95.0, Grade::A),
        (94.9, Grade::B),
        (85.0, Grade::B),
        (70.0, Grade::C),
        (50.0, Grade::D),
        (49.9, Grade::F),
    ];
    for (score, grade) in cases {
        assert_eq!(Grade::for_score(score), grade, "{score}");
    }
}

#[test]
fn unknown_counts_against_coverage_not_as_a_pass() {
    let card = assemble(
        &rubric_of(&[60.0, 40.0]),
        &[Outcome::Pass, Outcome::Unknown],
    );
    assert_eq!(card.score, 60.0);
    assert_eq!(card.coverage, 60.0);
    assert_eq!(card.grade, Grade::D);
    let card = assemble(&rubric_of(&[60.0, 40.0]), &[Outcome::Pass, Outcome::Fail]);
    assert_eq!((card.score, card.coverage), (60.0, 100.0));
}

proptest! {
    #[test]
    fn score_and_coverage_stay_within_bounds((points, outcomes) in points_and_outcomes()) {
        let card = assemble(&rubric_of(&points), &outcomes);
        prop_assert!((0.0..=100.0).contains(&card.score), "score {}", card.score);
        prop_assert!((0.0..=100.0).contains(&card.coverage), "coverage {}", card.coverage);
        prop_assert!(card.score <= card.coverage + 1e-9, "earned points are all covered");
        let cat = &card.categories[0];
        prop_assert!(cat.score <= cat.weight + 1e-9);
    }

    #[test]
    fn raising_a_passing_checks_points_never_lowers_the_score(
        (points, outcomes) in points_and_outcomes(),
        pick in any::<prop::sample::Index>(),
        extra_halves in 1u32..=20,
    ) {
        let passing: Vec<usize> = outcomes.iter().enumerate().filter(|(_, o)| **o == Outcome::Pass).map(|(i, _)| i).collect();
        prop_assume!(!passing.is_empty());
        let i = passing[pick.index(passing.len())];
        let before = assemble(&rubric_of(&points), &outcomes);
        let mut raised = points.clone();
        raised[i] += extra_halves as f64 / 2.0;
        let after = assemble(&rubric_of(&raised), &outcomes);
        // Scores are rounded to one decimal; allow that much.
        prop_assert!(after.score + 0.05 >= before.score, "{} -> {}", before.score, after.score);
    }

    #[test]
    fn improving_an_outcome_never_lowers_the_score(
        (points, outcomes) in points_and_outcomes(),
        pick in any::<prop::sample::Index>(),
    ) {
        let i = pick.index(outcomes.len());
        let mut better = outcomes.clone();
        better[i] = Outcome::Pass;
        let before = assemble(&rubric_of(&points), &outcomes);
        let after = assemble(&rubric_of(&points), &better);
        prop_assert!(after.score >= before.score);
    }
}
