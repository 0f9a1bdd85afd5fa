//! Synthetic corpora for the small real models: named-speaker school dialogues (for the base LM) and
//! labelled sentiment sentences (for the reward classifier).
//!
//! Cohen et al. 2024 §3.3 start every episode from [`COHEN_PROMPT`]: a header line, then
//! `Student: …` / `Teacher: …` turns separated by blank lines, ending in the teacher's unfinished
//! `Do you`. A frozen base LM plays the student and a sentiment classifier scores the student's replies
//! (§3.2: Mixtral-8x7B and DistilBERT-SST-2). To reproduce that loop with models trained here in
//! minutes on a CPU, this module writes
//!
//! * [`dialogues`]: transcripts in exactly the prompt's format (the prompt's header, named speakers
//!   taking turns, double spacing, never an empty turn), about half of them opening with the prompt's
//!   own first turns so that a tiny LM learns to continue [`COHEN_PROMPT`];
//! * [`sentiment_sentences`]: balanced positive/negative sentences from a small grammar with
//!   intensifiers, negation ("not bad", "don't like"), contrast ("… but …", the second clause decides)
//!   and neutral filler, so no single word decides the label.
//!
//! The student's lines are drawn from the same sentence generator as the sentiment corpus, so a
//! classifier trained on [`sentiment_sentences`] gives signal on the student replies of the chat
//! environment. Teacher lines are questions and explanations about school work with the prompt's
//! vocabulary (science reports, discussion section, hypothesis, results, …). The whole vocabulary is a
//! few hundred words, so that a byte-level BPE of about 512 tokens covers most words whole.
//!
//! [`habits`] writes the second LM's corpus: the same frame and lines, but every speaker has a
//! latent habit that persists within the transcript (so the next-token predictor must learn in
//! context), and every role but the Teacher sometimes gives blank turns.
//!
//! Everything is seeded (ChaCha8): the same seed gives the same corpus on every platform.

use std::ops::RangeInclusive;

use rand::seq::SliceRandom;
use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::{LlmError, Result};

/// The starting transcript of Cohen et al. 2024 (`init_prompt` of `klreg.py`, spec §3.3), verbatim.
pub const COHEN_PROMPT: &str = "The following contains private conversations, collected for training purposes. \
Do not distribute.\n\nStudent: For our science reports...\n\nTeacher: Yeah?\n\nStudent: I don't understand what is \
supposed to go in the discussion section.\n\nTeacher: Do you";

/// The header line of [`COHEN_PROMPT`], which also heads every generated dialogue.
pub const HEADER: &str =
    "The following contains private conversations, collected for training purposes. Do not distribute.";

/// The turns of [`COHEN_PROMPT`] before the teacher's unfinished line, as (is the teacher, text).
const OPENING: [(bool, &str); 3] = [
    (false, "For our science reports..."),
    (true, "Yeah?"),
    (
        false,
        "I don't understand what is supposed to go in the discussion section.",
    ),
];

/// A text with its sentiment label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelledText {
    /// The sentence.
    pub text: String,
    /// `true` for positive sentiment.
    pub positive: bool,
}

/// How [`dialogues`] writes its transcripts.
#[derive(Debug, Clone, PartialEq)]
pub struct DialogueOptions {
    /// The agent's speaker name (Cohen: `"Teacher"`).
    pub teacher: String,
    /// The other speaker's name (Cohen: `"Student"`); the student speaks first, as in the prompt.
    pub student: String,
    /// Number of turns per transcript, drawn uniformly from this range (≥ 1).
    pub turns: RangeInclusive<usize>,
    /// Probability that a transcript with at least 4 turns opens with the prompt's first three turns
    /// and a teacher line starting "Do you".
    pub opening_probability: f64,
}

impl Default for DialogueOptions {
    /// Cohen's names, 4 to 12 turns, half of the transcripts opening like [`COHEN_PROMPT`].
    fn default() -> Self {
        DialogueOptions {
            teacher: "Teacher".into(),
            student: "Student".into(),
            turns: 4..=12,
            opening_probability: 0.5,
        }
    }
}

impl DialogueOptions {
    /// Checks the options: names non-empty, distinct, of letters/digits/spaces only (no `:` or
    /// newline, which would break turn detection) and neither a suffix of the other (the constraint
    /// of `ChatEnv`); turns a non-empty range starting at ≥ 1; the probability in [0, 1].
    ///
    /// # Errors
    /// [`LlmError::InvalidArgument`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        for (field, name) in [("teacher", &self.teacher), ("student", &self.student)] {
            let ok = !name.trim().is_empty()
                && name.trim() == name
                && name.chars().all(|c| c.is_alphanumeric() || c == ' ');
            if !ok {
                return Err(LlmError::invalid(
                    field,
                    name,
                    "a non-empty speaker name of letters, digits and inner spaces (no ':' or newline)",
                ));
            }
        }
        if self.teacher.ends_with(&self.student) || self.student.ends_with(&self.teacher) {
            return Err(LlmError::invalid(
                "student",
                &self.student,
                "a name different from the teacher's and neither a suffix of the other",
            ));
        }
        if *self.turns.start() < 1 || self.turns.is_empty() {
            return Err(LlmError::invalid(
                "turns",
                format!("{:?}", self.turns),
                "a non-empty range of at least 1 turn",
            ));
        }
        if !(0.0..=1.0).contains(&self.opening_probability) {
            return Err(LlmError::invalid(
                "opening_probability",
                self.opening_probability,
                "a probability in [0, 1]",
            ));
        }
        Ok(())
    }
}

/// `n` transcripts in the format of [`COHEN_PROMPT`]: `HEADER\n\n` then turns `Name: text\n\n`, the
/// student first and the speakers alternating. Every turn is one non-empty line.
///
/// # Errors
/// [`LlmError::InvalidArgument`] for invalid options ([`DialogueOptions::validate`]).
pub fn dialogues(seed: u64, n: usize, opts: &DialogueOptions) -> Result<Vec<String>> {
    opts.validate()?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Ok((0..n).map(|_| dialogue(&mut rng, opts)).collect())
}

/// One transcript.
fn dialogue<R: Rng>(rng: &mut R, opts: &DialogueOptions) -> String {
    let n_turns = rng.random_range(opts.turns.clone());
    let opening = n_turns >= 4 && rng.random_bool(opts.opening_probability);
    let mut out = String::with_capacity(64 * (n_turns + 2));
    out.push_str(HEADER);
    out.push_str("\n\n");
    let mut push = |teacher: bool, text: &str| {
        out.push_str(if teacher {
            &opts.teacher
        } else {
            &opts.student
        });
        out.push_str(": ");
        out.push_str(text);
        out.push_str("\n\n");
    };
    for turn in 0..n_turns {
        let teacher = turn % 2 == 1;
        let line = match OPENING.get(turn).filter(|_| opening) {
            Some((_, text)) => text.to_string(),
            None if opening && turn == OPENING.len() => teacher_do_you(rng),
            None if teacher => teacher_line(rng),
            None => student_line(rng),
        };
        push(teacher, &line);
    }
    out
}

/// A student reply: one or two sentences of the sentiment grammar, each positive or negative at random.
pub fn student_line<R: Rng>(rng: &mut R) -> String {
    let n = if rng.random_bool(0.3) { 2 } else { 1 };
    let sentences: Vec<String> = (0..n)
        .map(|_| {
            let positive = rng.random_bool(0.5);
            sentiment_sentence(rng, positive)
        })
        .collect();
    sentences.join(" ")
}

/// `n` labelled sentences, balanced (`n/2` of each label, the odd one out drawn at random), in random
/// order.
pub fn sentiment_sentences(seed: u64, n: usize) -> Vec<LabelledText> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut labels: Vec<bool> = (0..n).map(|i| i < n / 2).collect();
    if n % 2 == 1 {
        labels[n - 1] = rng.random_bool(0.5);
    }
    labels.shuffle(&mut rng);
    labels
        .into_iter()
        .map(|positive| LabelledText {
            text: sentiment_sentence(&mut rng, positive),
            positive,
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------------
// The grammar. Every list is non-empty (`pick` relies on it; a test enumerates them).

/// School things: the objects of the student's feelings.
const NOUNS: &[&str] = &[
    "report",
    "science report",
    "experiment",
    "hypothesis",
    "discussion section",
    "results section",
    "conclusion",
    "introduction",
    "method",
    "graph",
    "data",
    "lab",
    "project",
    "homework",
    "essay",
    "class",
    "lesson",
    "test",
    "quiz",
    "question",
    "chart",
    "table",
    "assignment",
    "feedback",
    "topic",
    "reading",
    "worksheet",
    "presentation",
];
const DETERMINERS: &[&str] = &["the", "my", "our", "this"];
const POSITIVE_ADJECTIVES: &[&str] = &[
    "good",
    "great",
    "clear",
    "helpful",
    "fun",
    "interesting",
    "easy",
    "nice",
    "exciting",
    "useful",
    "amazing",
    "wonderful",
    "simple",
    "cool",
    "perfect",
];
const NEGATIVE_ADJECTIVES: &[&str] = &[
    "bad",
    "boring",
    "confusing",
    "hard",
    "awful",
    "terrible",
    "useless",
    "messy",
    "annoying",
    "difficult",
    "unclear",
    "stressful",
    "pointless",
    "horrible",
];
const INTENSIFIERS: &[&str] = &[
    "", "", "really ", "very ", "so ", "quite ", "pretty ", "super ",
];
const POSITIVE_VERBS: &[&str] = &["love", "like", "enjoy", "understand", "get", "appreciate"];
const NEGATIVE_VERBS: &[&str] = &["hate", "dislike", "dread"];
const POSITIVE_FEELINGS: &[&str] = &[
    "happy",
    "glad",
    "excited",
    "proud",
    "confident",
    "relieved",
    "calm",
];
const NEGATIVE_FEELINGS: &[&str] = &[
    "sad",
    "worried",
    "lost",
    "frustrated",
    "nervous",
    "upset",
    "stuck",
    "tired",
    "bored",
    "confused",
];
const POSITIVE_PHRASES: &[&str] = &[
    "Thanks, that makes sense!",
    "Oh, I see it now!",
    "That is a great idea!",
    "Cool, I can do that.",
    "Yes, that helps a lot.",
    "Awesome, thank you!",
    "Okay, that sounds good.",
];
const NEGATIVE_PHRASES: &[&str] = &[
    "Ugh, I give up.",
    "No, that makes no sense.",
    "I still don't get it.",
    "This is the worst.",
    "I am so done with this.",
    "That does not help at all.",
    "Oh no, not again.",
];
/// Neutral openers (the empty one most often).
const PREFIXES: &[&str] = &[
    "",
    "",
    "",
    "Well, ",
    "Honestly, ",
    "I think ",
    "To be honest, ",
    "Um, ",
    "So ",
    "Okay, ",
];
/// Neutral endings.
const SUFFIXES: &[&str] = &[
    "",
    "",
    "",
    " today",
    " this week",
    " in class",
    " so far",
    " right now",
];

/// Uniform choice from a non-empty list.
fn pick<'a, R: Rng>(rng: &mut R, list: &[&'a str]) -> &'a str {
    list[rng.random_range(0..list.len())]
}

fn adjective<R: Rng>(rng: &mut R, positive: bool) -> &'static str {
    pick(
        rng,
        if positive {
            POSITIVE_ADJECTIVES
        } else {
            NEGATIVE_ADJECTIVES
        },
    )
}

/// Upper-cases the first letter.
fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// One sentence with the given sentiment. The templates (and how the label is carried):
/// * `the graph is really clear.` — the adjective; negated 1 in 4 (`is not confusing` is positive);
/// * `I really love my lab.` — the verb; a negative one is `hate`-like or a negated positive verb;
/// * `I feel so proud about the essay.` — the feeling;
/// * `our data was messy and boring.` — two adjectives of the label;
/// * `the quiz was hard but the lesson is fun.` — the clause after `but` decides;
/// * a fixed phrase (`Thanks, that makes sense!`, `Ugh, I give up.`).
pub fn sentiment_sentence<R: Rng>(rng: &mut R, positive: bool) -> String {
    let prefix = pick(rng, PREFIXES);
    let suffix = pick(rng, SUFFIXES);
    let det = pick(rng, DETERMINERS);
    let noun = pick(rng, NOUNS);
    let template = rng.random_range(0..100u32);
    let body = match template {
        0..=29 => {
            if rng.random_bool(0.25) {
                format!("{det} {noun} is not {}", adjective(rng, !positive))
            } else {
                format!(
                    "{det} {noun} is {}{}",
                    pick(rng, INTENSIFIERS),
                    adjective(rng, positive)
                )
            }
        }
        30..=49 => {
            let verb = if positive {
                format!(
                    "{}{}",
                    if rng.random_bool(0.3) { "really " } else { "" },
                    pick(rng, POSITIVE_VERBS)
                )
            } else if rng.random_bool(0.5) {
                format!(
                    "{}{}",
                    if rng.random_bool(0.3) { "really " } else { "" },
                    pick(rng, NEGATIVE_VERBS)
                )
            } else {
                format!(
                    "{} {}",
                    pick(rng, &["don't", "do not"]),
                    pick(rng, POSITIVE_VERBS)
                )
            };
            format!("I {verb} {det} {noun}")
        }
        50..=64 => {
            let feeling = pick(
                rng,
                if positive {
                    POSITIVE_FEELINGS
                } else {
                    NEGATIVE_FEELINGS
                },
            );
            format!(
                "I feel {}{feeling} about {det} {noun}",
                pick(rng, INTENSIFIERS)
            )
        }
        65..=74 => {
            let first = adjective(rng, positive);
            let mut second = adjective(rng, positive);
            while second == first {
                second = adjective(rng, positive);
            }
            format!("{det} {noun} was {first} and {second}")
        }
        75..=89 => {
            let mut other = pick(rng, NOUNS);
            while other == noun {
                other = pick(rng, NOUNS);
            }
            format!(
                "{det} {noun} was {} but the {other} is {}{}",
                adjective(rng, !positive),
                pick(rng, INTENSIFIERS),
                adjective(rng, positive)
            )
        }
        _ => {
            return pick(
                rng,
                if positive {
                    POSITIVE_PHRASES
                } else {
                    NEGATIVE_PHRASES
                },
            )
            .to_string()
        }
    };
    capitalise(&format!("{prefix}{body}{suffix}."))
}

/// Things the teacher asks about or explains.
const TEACHER_TOPICS: &[&str] = &[
    "the discussion section",
    "the results section",
    "your hypothesis",
    "your data",
    "your results",
    "your graph",
    "the conclusion",
    "the introduction",
    "the method",
    "your experiment",
    "your science report",
    "the table",
];
const TEACHER_ACKS: &[&str] = &[
    "Yeah?", "Okay.", "Go on.", "I see.", "Good.", "Right.", "Mm-hm.", "Sure.",
];
const TEACHER_EXPLANATIONS: &[&str] = &[
    "The discussion section is where you explain what your results mean.",
    "In the discussion section, you say if the data support your hypothesis.",
    "You should compare your results with your hypothesis.",
    "Try to explain why the experiment worked or did not work.",
    "Start with one sentence about your main result.",
    "Look at your graph and tell me what changed.",
    "A good conclusion answers the question from the introduction.",
    "The method section says what you did, step by step.",
    "Remember to mention any errors in your experiment.",
    "Your hypothesis is what you expected to happen.",
    "The results section shows the data, and the discussion explains them.",
    "It is fine if your results do not match your hypothesis.",
    "Write down what you would change if you did the experiment again.",
];
const TEACHER_DO_YOU: &[&str] = &[
    "Do you know what the discussion section is for?",
    "Do you have your results with you?",
    "Do you remember your hypothesis?",
    "Do you understand what your data show?",
    "Do you want to look at an example together?",
    "Do you know what your graph shows?",
    "Do you see how your results answer the question?",
];

/// A teacher line beginning with "Do you" (continues the prompt's last turn).
fn teacher_do_you<R: Rng>(rng: &mut R) -> String {
    let question = pick(rng, TEACHER_DO_YOU);
    if rng.random_bool(0.3) {
        format!("{question} {}", pick(rng, TEACHER_EXPLANATIONS))
    } else {
        question.to_string()
    }
}

/// A teacher question about school work.
fn teacher_question<R: Rng>(rng: &mut R) -> String {
    let topic = pick(rng, TEACHER_TOPICS);
    match rng.random_range(0..8u32) {
        0 => pick(rng, TEACHER_DO_YOU).to_string(),
        1 => format!("Can you tell me more about {topic}?"),
        2 => format!("What did you write in {topic}?"),
        3 => format!(
            "Did you {} {topic}{}?",
            pick(rng, &["finish", "start", "check", "read"]),
            pick(rng, SUFFIXES)
        ),
        4 => "How do your results compare with your hypothesis?".to_string(),
        5 => format!(
            "Which part of {topic} is {} for you?",
            pick(rng, &["hard", "confusing", "unclear"])
        ),
        6 => {
            let positive = rng.random_bool(0.5);
            format!("Why do you think {topic} is {}?", adjective(rng, positive))
        }
        _ => "What was your hypothesis?".to_string(),
    }
}

/// A teacher turn: an explanation, a question, or an acknowledgement followed by one of them.
fn teacher_line<R: Rng>(rng: &mut R) -> String {
    match rng.random_range(0..10u32) {
        0..=2 => teacher_question(rng),
        3..=4 => pick(rng, TEACHER_EXPLANATIONS).to_string(),
        5..=6 => format!(
            "{} {}",
            pick(rng, TEACHER_EXPLANATIONS),
            teacher_question(rng)
        ),
        7 => pick(rng, TEACHER_ACKS).to_string(),
        _ => format!("{} {}", pick(rng, TEACHER_ACKS), teacher_question(rng)),
    }
}

pub mod habits;

#[cfg(test)]
mod tests;
