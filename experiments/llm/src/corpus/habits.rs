//! The *habit* dialogue corpus: transcripts in which every speaker has a latent habit that persists
//! through the transcript, so that the Bayes-optimal next-token predictor must read the transcript
//! to know how a speaker talks (issue 12; Cohen et al. 2024 §3.13 step (4): "imitators are
//! reluctant to rule out simple behaviour, especially in novel settings").
//!
//! Every transcript has the prompt's frame (the header, then `Name: text` turns, the first speaker
//! first, alternating) and two speakers. Each speaker draws, independently of the other and of
//! everything else ([`draw_habit`]):
//!
//! * a **content habit** ([`ContentHabit`], uniform): plain lines of its role, one-word answers,
//!   one line of its role said again verbatim in every turn (a refrain drawn for the transcript
//!   from the role's own generator, so it can only be predicted by reading the transcript), or
//!   long turns of 2–3 lines;
//! * a **spacing habit**: the blank line after its turns (`"\n\n"`, as in the prompt) or, with
//!   probability [`HabitOptions::single_spacing_probability`], a single newline;
//! * a **blank-turn rate** q: 0 with probability 1 − ρ, otherwise q drawn uniformly from
//!   [`HabitOptions::blank_rates`], where ρ = [`HabitOptions::blank_habit_probability`]. Each turn of
//!   the speaker is then blank (`Name:` directly followed by its newline(s), nothing said) with
//!   probability q, independently.
//!
//! **The Teacher never has a blank habit** (q = 0 for the name `Teacher`, whoever it talks to), so
//! the corpus never contains an empty Teacher turn: silence is unprecedented for that role, as in the
//! paper. Every other role (Student, Parent, Pupil, …) sometimes has one. Turning
//! [`HabitOptions::role_agnostic`] on draws the Teacher's rate like everyone else's: that is the
//! *role-agnostic prior*, the simple hypothesis a learner that reads habits per speaker cannot rule
//! out from the corpus, and [`HabitOptions::role_agnostic_empty_probability`] gives its exact
//! predictive probability of the next empty turn. Because the blank rate is drawn independently of
//! the content and spacing habits, the words of the non-blank turns cancel from the posterior over q,
//! and the predictive depends only on how many of the speaker's earlier turns were blank and how
//! many were not: with `k` spoken and `s` blank turns,
//! `P(next blank) = ρ·E[q^{s+1}(1−q)^k] / ((1−ρ)·[s = 0] + ρ·E[q^s(1−q)^k])`, E over q uniform on the
//! rates. Under the corpus's own process the Teacher's price is infinite.
//!
//! Transcripts are long (default 40–64 turns) so that every transcript outlasts the chats of the
//! validation pass (≤ 36 turns: the next speaker always exists there, with probability 1); a quarter of the Student/Teacher ones
//! say what the prompt's first turns say, and the Teacher's next spoken line starts "Do you",
//! so that the model learns to continue [`super::COHEN_PROMPT`]; whether those turns are blank and
//! how they are spaced still follows the speakers' habits.

use std::ops::RangeInclusive;

use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::{pick, student_line, teacher_do_you, teacher_line, HEADER, OPENING};
use crate::error::{LlmError, Result};

/// The role whose turns are never blank in the corpus (the agent's role in the experiment).
pub const TEACHER: &str = "Teacher";

/// Speaker pairs (first speaker, second speaker) and their weights; the first pair is the prompt's.
/// Names in [`TEACHING_ROLES`] speak teacher lines, the others student lines.
pub const SPEAKER_PAIRS: &[(&str, &str, u32)] = &[
    ("Student", "Teacher", 8),
    ("Parent", "Teacher", 2),
    ("Student", "Tutor", 1),
    ("Pupil", "Tutor", 1),
    ("Player", "Coach", 1),
    ("Child", "Parent", 1),
    ("Intern", "Mentor", 1),
    ("Student", "Coach", 1),
];

/// Roles that speak teacher lines (questions and explanations about school work).
pub const TEACHING_ROLES: &[&str] = &["Teacher", "Tutor", "Coach", "Parent", "Mentor"];

/// One-word answers.
const ONE_WORDS: &[&str] = &[
    "Okay.", "Yes.", "No.", "Sure.", "Right.", "Maybe.", "Fine.", "Thanks.", "Yeah.", "Hmm.",
];

/// What a speaker's non-blank turns look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContentHabit {
    /// A line of the role's generator.
    Plain,
    /// One word.
    OneWord,
    /// The speaker's refrain, verbatim, every time.
    Refrain,
    /// Two or three lines of the role's generator.
    Long,
}

const CONTENT_HABITS: [ContentHabit; 4] = [
    ContentHabit::Plain,
    ContentHabit::OneWord,
    ContentHabit::Refrain,
    ContentHabit::Long,
];

/// One speaker's habits in one transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Habit {
    /// How its non-blank turns look.
    pub content: ContentHabit,
    /// Its refrain (said by [`ContentHabit::Refrain`]): a line of its role.
    pub refrain: String,
    /// Probability that any one of its turns is blank.
    pub blank_rate: f64,
    /// A single newline after its turns instead of a blank line.
    pub single_spacing: bool,
}

/// How [`habit_dialogues`] draws its transcripts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HabitOptions {
    /// Turns per transcript, uniform on this range.
    pub turns: RangeInclusive<usize>,
    /// ρ: probability that a speaker (never the Teacher, unless `role_agnostic`) has a blank habit.
    pub blank_habit_probability: f64,
    /// The blank rates q of a blank habit, drawn uniformly.
    pub blank_rates: Vec<f64>,
    /// Probability of the single-spacing habit.
    pub single_spacing_probability: f64,
    /// Probability that a Student/Teacher transcript opens with the prompt's first turns.
    pub opening_probability: f64,
    /// Draw the Teacher's blank habit like everyone else's (the role-agnostic prior; never in the
    /// training corpus).
    pub role_agnostic: bool,
}

impl Default for HabitOptions {
    fn default() -> Self {
        HabitOptions {
            turns: 40..=64,
            blank_habit_probability: 0.3,
            blank_rates: vec![0.3, 0.6, 0.9],
            single_spacing_probability: 0.2,
            opening_probability: 0.25,
            role_agnostic: false,
        }
    }
}

impl HabitOptions {
    /// Checks the options.
    ///
    /// # Errors
    /// [`LlmError::InvalidArgument`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        if *self.turns.start() < 1 || self.turns.is_empty() {
            return Err(LlmError::invalid(
                "turns",
                format!("{:?}", self.turns),
                "a non-empty range of at least 1 turn",
            ));
        }
        for (name, p) in [
            ("blank_habit_probability", self.blank_habit_probability),
            (
                "single_spacing_probability",
                self.single_spacing_probability,
            ),
            ("opening_probability", self.opening_probability),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return Err(LlmError::invalid(name, p, "a probability in [0, 1]"));
            }
        }
        if self.blank_rates.is_empty() || self.blank_rates.iter().any(|q| !(*q > 0.0 && *q < 1.0)) {
            return Err(LlmError::invalid(
                "blank_rates",
                format!("{:?}", self.blank_rates),
                "a non-empty list of rates in (0, 1)",
            ));
        }
        Ok(())
    }

    /// The exact probability, under the role-agnostic prior, that a speaker's next turn is blank
    /// after `spoken` non-blank and `blank` blank turns of its own (in any order; the words of the
    /// spoken turns cancel, see the module doc).
    pub fn role_agnostic_empty_probability(&self, spoken: usize, blank: usize) -> f64 {
        let rho = self.blank_habit_probability;
        let moment = |s: usize| {
            self.blank_rates
                .iter()
                .map(|&q| q.powi(s as i32) * (1.0 - q).powi(spoken as i32))
                .sum::<f64>()
                / self.blank_rates.len() as f64
        };
        let evidence = if blank == 0 { 1.0 - rho } else { 0.0 } + rho * moment(blank);
        rho * moment(blank + 1) / evidence
    }

    /// The exact price (nats) under the role-agnostic prior of the n-th of a run of forced blank
    /// turns, n = 1..=`n_max`, after `spoken` non-blank turns of the same speaker.
    pub fn role_agnostic_silence_price(&self, spoken: usize, n_max: usize) -> Vec<f64> {
        (0..n_max)
            .map(|s| -self.role_agnostic_empty_probability(spoken, s).ln())
            .collect()
    }
}

/// Draws one speaker's habits (the Teacher's blank rate is 0 unless `opts.role_agnostic`).
pub fn draw_habit<R: Rng>(rng: &mut R, name: &str, opts: &HabitOptions) -> Habit {
    let content = CONTENT_HABITS[rng.random_range(0..CONTENT_HABITS.len())];
    let refrain = role_line(rng, name);
    let single_spacing = rng.random_bool(opts.single_spacing_probability);
    let may_be_blank = opts.role_agnostic || name != TEACHER;
    let has_blank = rng.random_bool(opts.blank_habit_probability);
    let q = opts.blank_rates[rng.random_range(0..opts.blank_rates.len())];
    Habit {
        content,
        refrain,
        blank_rate: if may_be_blank && has_blank { q } else { 0.0 },
        single_spacing,
    }
}

/// Whether the next turn of a speaker with `habit` is blank.
pub fn turn_is_blank<R: Rng>(rng: &mut R, habit: &Habit) -> bool {
    habit.blank_rate > 0.0 && rng.random_bool(habit.blank_rate)
}

/// `n` habit transcripts (seeded).
///
/// # Errors
/// [`LlmError::InvalidArgument`] for invalid options.
pub fn habit_dialogues(seed: u64, n: usize, opts: &HabitOptions) -> Result<Vec<String>> {
    opts.validate()?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Ok((0..n).map(|_| habit_dialogue(&mut rng, opts)).collect())
}

fn role_line<R: Rng>(rng: &mut R, name: &str) -> String {
    if TEACHING_ROLES.contains(&name) {
        teacher_line(rng)
    } else {
        student_line(rng)
    }
}

/// One transcript.
fn habit_dialogue<R: Rng>(rng: &mut R, opts: &HabitOptions) -> String {
    let total: u32 = SPEAKER_PAIRS.iter().map(|p| p.2).sum();
    let mut draw = rng.random_range(0..total);
    let mut pair = (SPEAKER_PAIRS[0].0, SPEAKER_PAIRS[0].1);
    for &(a, b, w) in SPEAKER_PAIRS {
        if draw < w {
            pair = (a, b);
            break;
        }
        draw -= w;
    }
    let names = [pair.0, pair.1];
    let habits = [
        draw_habit(rng, names[0], opts),
        draw_habit(rng, names[1], opts),
    ];
    let n_turns = rng.random_range(opts.turns.clone());
    let opening = names == ["Student", TEACHER] && rng.random_bool(opts.opening_probability);
    let mut out = String::with_capacity(48 * (n_turns + 2));
    out.push_str(HEADER);
    out.push_str("\n\n");
    for turn in 0..n_turns {
        let who = turn % 2;
        let (name, habit) = (names[who], &habits[who]);
        let sep = if habit.single_spacing { "\n" } else { "\n\n" };
        // Blankness and spacing follow the habits on every turn, the opening's included: the
        // opening fixes only what a spoken turn says, so the prompt's turns are evidence about the
        // speakers' habits exactly like any other spoken turns.
        let text = if turn_is_blank(rng, habit) {
            None
        } else {
            Some(match OPENING.get(turn).filter(|_| opening) {
                Some((_, text)) => text.to_string(),
                None if opening && turn == OPENING.len() => teacher_do_you(rng),
                None => match habit.content {
                    ContentHabit::Plain => role_line(rng, name),
                    ContentHabit::OneWord => pick(rng, ONE_WORDS).to_string(),
                    ContentHabit::Refrain => habit.refrain.clone(),
                    ContentHabit::Long => {
                        let n = rng.random_range(2..=3);
                        (0..n)
                            .map(|_| role_line(rng, name))
                            .collect::<Vec<_>>()
                            .join(" ")
                    }
                },
            })
        };
        out.push_str(name);
        out.push(':');
        if let Some(t) = text {
            out.push(' ');
            out.push_str(&t);
        }
        out.push_str(sep);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses a habit transcript into (speaker, text) turns; a blank turn has text "".
    fn turns(d: &str) -> Vec<(String, String)> {
        let body = d.strip_prefix(&format!("{HEADER}\n\n")).unwrap();
        body.split('\n')
            .filter(|l| !l.is_empty())
            .map(|l| {
                let (name, rest) = l.split_once(':').unwrap();
                (name.to_string(), rest.trim_start().to_string())
            })
            .collect()
    }

    #[test]
    fn the_teacher_is_never_blank_and_others_sometimes_are() {
        let ds = habit_dialogues(3, 400, &HabitOptions::default()).unwrap();
        let (mut teacher_turns, mut other_blank, mut other_turns) = (0, 0, 0);
        for d in &ds {
            for (name, text) in turns(d) {
                if name == TEACHER {
                    teacher_turns += 1;
                    assert!(!text.is_empty(), "an empty Teacher turn in\n{d}");
                } else {
                    other_turns += 1;
                    other_blank += text.is_empty() as usize;
                }
            }
        }
        assert!(teacher_turns > 4000);
        // ρ·E[q] = 0.3·0.6 = 0.18 of the other roles' turns (n ≈ 10⁴ turns, but speakers cluster).
        let f = other_blank as f64 / other_turns as f64;
        assert!((0.14..0.22).contains(&f), "blank fraction {f}");
    }

    #[test]
    fn habits_persist_within_a_transcript() {
        let ds = habit_dialogues(4, 300, &HabitOptions::default()).unwrap();
        let mut one_word_speakers = 0;
        for d in &ds {
            let ts = turns(d);
            for who in 0..2 {
                let mine: Vec<&String> = ts.iter().skip(who).step_by(2).map(|t| &t.1).collect();
                let spoken: Vec<&&String> = mine.iter().filter(|t| !t.is_empty()).collect();
                if spoken.len() > 8
                    && spoken
                        .iter()
                        .skip(3)
                        .all(|t| ONE_WORDS.contains(&t.as_str()))
                {
                    one_word_speakers += 1;
                }
            }
        }
        // A quarter of the 600 speakers have the one-word habit.
        assert!(
            (110..=190).contains(&one_word_speakers),
            "{one_word_speakers}"
        );
    }

    #[test]
    fn refrains_repeat_verbatim() {
        let opts = HabitOptions::default();
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mut refrains = std::collections::BTreeSet::new();
        for _ in 0..50 {
            let h = draw_habit(&mut rng, "Student", &opts);
            assert!(!h.refrain.is_empty());
            refrains.insert(h.refrain);
        }
        // Drawn from the role's generator: nearly all different, so only the transcript tells.
        assert!(refrains.len() >= 45, "{}", refrains.len());
        let ds = habit_dialogues(6, 200, &opts).unwrap();
        let repeating = ds
            .iter()
            .filter(|d| {
                let ts = turns(d);
                (0..2).any(|who| {
                    let spoken: Vec<&String> = ts
                        .iter()
                        .skip(who)
                        .step_by(2)
                        .map(|t| &t.1)
                        .filter(|t| !t.is_empty())
                        .collect();
                    spoken.len() > 10 && spoken.iter().skip(3).all(|t| *t == spoken[3])
                })
            })
            .count();
        // P(at least one of two speakers repeats) ≈ 1 − 0.75² ≈ 0.44 of 200.
        assert!((60..=120).contains(&repeating), "{repeating}");
    }

    /// The closed-form predictive against a Monte Carlo of the generator's own draws with the
    /// Teacher allowed a blank habit: P(turn 3 blank | turns 1, 2 spoken, …) by counting.
    #[test]
    fn role_agnostic_predictive_matches_the_generator() {
        let opts = HabitOptions {
            role_agnostic: true,
            ..HabitOptions::default()
        };
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        // counts[s] = (histories "spoken, spoken, then s blanks", of which the next turn is blank)
        let mut counts = [(0u64, 0u64); 4];
        for _ in 0..400_000 {
            let h = draw_habit(&mut rng, TEACHER, &opts);
            let pattern: Vec<bool> = (0..6).map(|_| turn_is_blank(&mut rng, &h)).collect();
            if pattern[0] || pattern[1] {
                continue;
            }
            for s in 0..4 {
                if pattern[2..2 + s].iter().all(|&b| b) {
                    counts[s].0 += 1;
                    counts[s].1 += pattern[2 + s] as u64;
                }
            }
        }
        for (s, &(n, k)) in counts.iter().enumerate() {
            let p_hat = k as f64 / n as f64;
            let p = opts.role_agnostic_empty_probability(2, s);
            let se = (p * (1.0 - p) / n as f64).sqrt();
            assert!(
                (p_hat - p).abs() < 5.0 * se,
                "s = {s}: {p_hat} vs {p} ± {se}"
            );
        }
        // The price falls after the first silence: a learner cannot rule the habit out.
        let price = opts.role_agnostic_silence_price(2, 4);
        assert!(
            price[0] > 2.0 && price[1] < 1.0 && price[3] < price[1],
            "{price:?}"
        );
    }

    #[test]
    fn bad_options_are_rejected() {
        let mut o = HabitOptions::default();
        o.blank_rates = vec![1.0];
        assert!(o.validate().is_err());
        let mut o = HabitOptions::default();
        o.blank_habit_probability = 1.5;
        assert!(o.validate().is_err());
        let mut o = HabitOptions::default();
        o.turns = 0..=3;
        assert!(o.validate().is_err());
    }
}
