//! Tests of the synthetic corpora: the transcript format (never an empty turn, alternating named
//! speakers, the prompt's header and spacing), determinism, label balance, labels that agree with an
//! independent lexicon scorer, no single-word shortcut, a small vocabulary, and tokenizer round trips.

use super::*;
use crate::tokenizer;
use std::collections::{BTreeMap, BTreeSet};

/// Parses a transcript into (speaker, text) turns, checking the frame: header, blank line after
/// every turn, nothing after the last one.
fn turns(d: &str) -> Vec<(String, String)> {
    let body = d
        .strip_prefix(&format!("{HEADER}\n\n"))
        .expect("starts with the header and a blank line");
    let chunks: Vec<&str> = body.split("\n\n").collect();
    assert_eq!(
        chunks.last(),
        Some(&""),
        "ends with a blank line after the last turn"
    );
    chunks[..chunks.len() - 1]
        .iter()
        .map(|c| {
            let (name, text) = c.split_once(": ").expect("`Name: text`");
            (name.to_string(), text.to_string())
        })
        .collect()
}

#[test]
fn prompt_is_verbatim() {
    // Byte counts and landmarks of `init_prompt` in klreg.py (spec §3.3).
    assert_eq!(COHEN_PROMPT.len(), 246);
    assert!(COHEN_PROMPT.starts_with(HEADER));
    assert!(COHEN_PROMPT.ends_with("\n\nTeacher: Do you"));
    assert_eq!(COHEN_PROMPT.matches("\n\n").count(), 4);
    assert_eq!(COHEN_PROMPT.matches("Student: ").count(), 2);
    assert_eq!(COHEN_PROMPT.matches("Teacher: ").count(), 2);
    let rebuilt = format!(
        "{HEADER}\n\nStudent: {}\n\nTeacher: {}\n\nStudent: {}\n\nTeacher: Do you",
        OPENING[0].1, OPENING[1].1, OPENING[2].1
    );
    assert_eq!(rebuilt, COHEN_PROMPT);
}

#[test]
fn dialogues_never_have_an_empty_turn_and_speakers_alternate() {
    let opts = DialogueOptions::default();
    let ds = dialogues(1, 500, &opts).unwrap();
    assert_eq!(ds.len(), 500);
    let mut lengths = BTreeSet::new();
    let mut openings = 0;
    for d in &ds {
        let ts = turns(d);
        lengths.insert(ts.len());
        assert!(opts.turns.contains(&ts.len()), "{} turns", ts.len());
        for (k, (name, text)) in ts.iter().enumerate() {
            let want = if k % 2 == 0 { "Student" } else { "Teacher" };
            assert_eq!(name, want, "turn {k} of\n{d}");
            assert!(!text.trim().is_empty(), "empty turn {k} in\n{d}");
            assert_eq!(text.trim(), text, "turn text is trimmed");
            assert!(!text.contains('\n'), "one line per turn");
            assert!(
                !text.contains("Teacher:") && !text.contains("Student:"),
                "no speaker tag inside a turn"
            );
        }
        if d.starts_with(&COHEN_PROMPT[..COHEN_PROMPT.len() - "Do you".len()]) {
            openings += 1;
            assert!(
                ts[3].1.starts_with("Do you "),
                "the opening continues the prompt: {}",
                ts[3].1
            );
        }
    }
    // Every length of 4..=12 occurs, and about half open like the prompt (p = 0.5, n = 500: ±4.5σ = ±50).
    assert_eq!(lengths, (4..=12).collect());
    assert!((200..=300).contains(&openings), "{openings} openings");
}

#[test]
fn custom_names_and_single_turns() {
    let opts = DialogueOptions {
        teacher: "Tutor".into(),
        student: "Pupil".into(),
        turns: 1..=3,
        opening_probability: 1.0,
    };
    for d in dialogues(3, 50, &opts).unwrap() {
        let ts = turns(&d);
        assert!((1..=3).contains(&ts.len()));
        assert_eq!(ts[0].0, "Pupil");
        // Fewer than 4 turns: no prompt opening even at probability 1.
        assert!(!d.contains("For our science reports..."));
        assert!(!d.contains("Teacher") && !d.contains("Student"));
    }
}

#[test]
fn invalid_options_are_rejected() {
    let base = DialogueOptions::default();
    let cases = [
        (
            "teacher",
            DialogueOptions {
                teacher: "".into(),
                ..base.clone()
            },
        ),
        (
            "teacher",
            DialogueOptions {
                teacher: "Teacher:".into(),
                ..base.clone()
            },
        ),
        (
            "student",
            DialogueOptions {
                student: "Stu\ndent".into(),
                ..base.clone()
            },
        ),
        (
            "student",
            DialogueOptions {
                student: "Teacher".into(),
                ..base.clone()
            },
        ),
        (
            "student",
            DialogueOptions {
                student: "Head Teacher".into(),
                ..base.clone()
            },
        ),
        (
            "turns",
            DialogueOptions {
                turns: 0..=3,
                ..base.clone()
            },
        ),
        #[allow(clippy::reversed_empty_ranges)]
        (
            "turns",
            DialogueOptions {
                turns: 5..=4,
                ..base.clone()
            },
        ),
        (
            "opening_probability",
            DialogueOptions {
                opening_probability: f64::NAN,
                ..base.clone()
            },
        ),
        (
            "opening_probability",
            DialogueOptions {
                opening_probability: 1.5,
                ..base.clone()
            },
        ),
    ];
    for (field, opts) in cases {
        match dialogues(0, 1, &opts) {
            Err(LlmError::InvalidArgument { name, .. }) => assert_eq!(name, field, "{opts:?}"),
            other => panic!("expected InvalidArgument {field}, got {other:?}"),
        }
    }
    assert!(dialogues(0, 0, &base).unwrap().is_empty());
}

#[test]
fn corpora_are_deterministic_per_seed() {
    let opts = DialogueOptions::default();
    assert_eq!(
        dialogues(7, 40, &opts).unwrap(),
        dialogues(7, 40, &opts).unwrap()
    );
    assert_ne!(
        dialogues(7, 40, &opts).unwrap(),
        dialogues(8, 40, &opts).unwrap()
    );
    assert_eq!(sentiment_sentences(7, 300), sentiment_sentences(7, 300));
    assert_ne!(sentiment_sentences(7, 300), sentiment_sentences(8, 300));
    // Pinned output of seed 0, so a change of generator or RNG stream is noticed.
    let first = &sentiment_sentences(0, 4);
    let pinned: Vec<(&str, bool)> = first
        .iter()
        .map(|s| (s.text.as_str(), s.positive))
        .collect();
    assert_eq!(pinned, PINNED_SEED0);
}

/// `sentiment_sentences(0, 4)`, recorded from this implementation (ChaCha8, rand 0.10).
const PINNED_SEED0: [(&str, bool); 4] = [
    ("Um, my essay was messy and bad in class.", false),
    ("I appreciate our class right now.", true),
    (
        "Honestly, I do not enjoy this discussion section so far.",
        false,
    ),
    (
        "I think my science report was annoying but the lesson is clear this week.",
        true,
    ),
];

#[test]
fn labels_are_balanced() {
    for n in [0usize, 1, 2, 7, 1000] {
        let s = sentiment_sentences(21, n);
        assert_eq!(s.len(), n);
        let pos = s.iter().filter(|t| t.positive).count();
        assert!(
            pos == n / 2 || pos == n.div_ceil(2),
            "n = {n}: {pos} positive"
        );
    }
    let s = sentiment_sentences(21, 1000);
    assert_eq!(s.iter().filter(|t| t.positive).count(), 500);
    // Shuffled, not sorted by label: the first 100 hold both.
    assert!(s[..100].iter().any(|t| t.positive) && s[..100].iter().any(|t| !t.positive));
}

/// An independent lexicon scorer written from the template descriptions: the clause after the last
/// " but " decides; within it, each polarity word counts ±1, and a negation (`not`, `don't`) flips
/// the sign. Fixed phrases are looked up.
fn lexicon_label(text: &str) -> Option<bool> {
    let pos_phrase = [
        "makes sense",
        "see it now",
        "great idea",
        "can do that",
        "helps a lot",
        "thank you",
        "sounds good",
    ];
    let neg_phrase = [
        "give up",
        "no sense",
        "still don't get",
        "the worst",
        "done with",
        "not help",
        "not again",
    ];
    let lower = text.to_lowercase();
    if pos_phrase.iter().any(|p| lower.contains(p)) {
        return Some(true);
    }
    if neg_phrase.iter().any(|p| lower.contains(p)) {
        return Some(false);
    }
    let positive_words = [
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
        "love",
        "like",
        "enjoy",
        "understand",
        "get",
        "appreciate",
        "happy",
        "glad",
        "excited",
        "proud",
        "confident",
        "relieved",
        "calm",
    ];
    let negative_words = [
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
        "hate",
        "dislike",
        "dread",
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
    let clause = lower.rsplit(" but ").next().unwrap_or(&lower);
    let words: Vec<&str> = clause
        .split(|c: char| !(c.is_alphabetic() || c == '\''))
        .filter(|w| !w.is_empty())
        .collect();
    let mut score = 0i32;
    for w in &words {
        if positive_words.contains(w) {
            score += 1;
        } else if negative_words.contains(w) {
            score -= 1;
        }
    }
    if words.iter().any(|w| *w == "not" || *w == "don't") {
        score = -score;
    }
    (score != 0).then_some(score > 0)
}

#[test]
fn labels_agree_with_an_independent_lexicon_scorer() {
    let s = sentiment_sentences(31, 3000);
    let mut disagreements = Vec::new();
    for t in &s {
        if lexicon_label(&t.text) != Some(t.positive) {
            disagreements.push(t.clone());
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} disagreements, e.g. {:?}",
        disagreements.len(),
        &disagreements[..3.min(disagreements.len())]
    );
}

#[test]
fn no_single_word_decides_the_label() {
    // The best one-word rule ("positive iff the sentence contains w", or its opposite) over every word
    // of the corpus must stay well below perfect: negation and contrast put negative words in positive
    // sentences and vice versa.
    let s = sentiment_sentences(41, 4000);
    let n = s.len() as f64;
    let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for t in &s {
        let words: BTreeSet<String> = t
            .text
            .to_lowercase()
            .split(|c: char| !c.is_alphabetic())
            .filter(|w| !w.is_empty())
            .map(String::from)
            .collect();
        for w in words {
            let e = counts.entry(w).or_default();
            if t.positive {
                e.0 += 1;
            } else {
                e.1 += 1;
            }
        }
    }
    let positives = s.iter().filter(|t| t.positive).count();
    let negatives = s.len() - positives;
    let best = counts
        .values()
        .map(|&(p, q)| {
            // "positive iff w present": correct on p present-positives and (negatives − q) absent-negatives.
            let acc = (p + negatives - q) as f64 / n;
            acc.max(1.0 - acc)
        })
        .fold(0.0, f64::max);
    assert!(
        best < 0.75,
        "a single word predicts the label with accuracy {best}"
    );
    // …and the contrast/negation templates do occur with both labels.
    assert!(s.iter().any(|t| t.positive && t.text.contains(" not ")));
    assert!(s.iter().any(|t| !t.positive && t.text.contains(" not ")));
    assert!(s.iter().any(|t| t.positive && t.text.contains(" but ")));
    assert!(s.iter().any(|t| !t.positive && t.text.contains(" but ")));
}

#[test]
fn student_lines_come_from_the_sentiment_grammar() {
    // Every sentence of a student turn (outside the prompt opening) is scored by the lexicon, and both
    // polarities occur: the reward classifier has signal on the student's replies.
    let (mut pos, mut neg) = (0, 0);
    for d in dialogues(51, 200, &DialogueOptions::default()).unwrap() {
        for (name, text) in turns(&d) {
            if name != "Student" || OPENING.iter().any(|(_, o)| *o == text) {
                continue;
            }
            // Split into sentences at ". ", "! " (the generator joins two sentences with one space).
            let mut rest = text.as_str();
            while !rest.is_empty() {
                let cut = rest.find(['.', '!']).map(|i| i + 1).unwrap_or(rest.len());
                let (sentence, tail) = rest.split_at(cut);
                match lexicon_label(sentence.trim()) {
                    Some(true) => pos += 1,
                    Some(false) => neg += 1,
                    None => panic!("student sentence without sentiment: {sentence:?} in {text:?}"),
                }
                rest = tail.trim_start();
            }
        }
    }
    assert!(
        pos > 200 && neg > 200,
        "{pos} positive, {neg} negative student sentences"
    );
    let ratio = pos as f64 / (pos + neg) as f64;
    assert!((0.4..0.6).contains(&ratio), "{ratio}");
}

#[test]
fn vocabulary_is_a_few_hundred_words() {
    let mut words = BTreeSet::new();
    let mut add = |t: &str| {
        for w in t
            .to_lowercase()
            .split(|c: char| !(c.is_alphabetic() || c == '\''))
            .filter(|w| !w.is_empty())
        {
            words.insert(w.to_string());
        }
    };
    for d in dialogues(61, 2000, &DialogueOptions::default()).unwrap() {
        add(&d);
    }
    for s in sentiment_sentences(62, 5000) {
        add(&s.text);
    }
    assert!(
        (150..=350).contains(&words.len()),
        "{} distinct words",
        words.len()
    );
}

#[test]
fn every_corpus_text_round_trips_through_both_tokenizers() {
    let ds = dialogues(71, 120, &DialogueOptions::default()).unwrap();
    let ss: Vec<String> = sentiment_sentences(72, 800)
        .into_iter()
        .map(|t| t.text)
        .collect();
    let mut all = ds.clone();
    all.extend(ss.iter().cloned());
    all.push(COHEN_PROMPT.to_string());
    let lm = tokenizer::causal_lm_tokenizer(&all, 512).unwrap();
    let clf = tokenizer::classifier_tokenizer(&ss, 512).unwrap();
    for text in &all {
        let ids = tokenizer::encode(&lm, text, true).unwrap();
        assert_eq!(ids[0], tokenizer::BOS_ID);
        assert_eq!(tokenizer::decode(&lm, &ids).unwrap(), *text);
        let ids = tokenizer::encode(&clf, text, true).unwrap();
        assert_eq!(tokenizer::decode(&clf, &ids).unwrap(), text.to_lowercase());
    }
}

#[test]
fn grammar_lists_are_non_empty_and_clean() {
    let lists: [&[&str]; 17] = [
        NOUNS,
        DETERMINERS,
        POSITIVE_ADJECTIVES,
        NEGATIVE_ADJECTIVES,
        INTENSIFIERS,
        POSITIVE_VERBS,
        NEGATIVE_VERBS,
        POSITIVE_FEELINGS,
        NEGATIVE_FEELINGS,
        POSITIVE_PHRASES,
        NEGATIVE_PHRASES,
        PREFIXES,
        SUFFIXES,
        TEACHER_TOPICS,
        TEACHER_ACKS,
        TEACHER_EXPLANATIONS,
        TEACHER_DO_YOU,
    ];
    for list in lists {
        assert!(!list.is_empty());
        for w in list {
            assert!(!w.contains(':') && !w.contains('\n'), "{w:?}");
        }
    }
    // The two polarities share no word.
    for w in POSITIVE_ADJECTIVES {
        assert!(!NEGATIVE_ADJECTIVES.contains(w), "{w}");
    }
}
