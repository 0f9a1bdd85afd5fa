//! Tests of the byte-level BPE tokenizers: exact round trips (newlines included), the special-token
//! ids, Cohen's name-token trick located at the right characters, determinism and save/reload.

use super::*;
use crate::corpus::{self, DialogueOptions, COHEN_PROMPT};
use std::sync::OnceLock;

/// The training texts: the prompt, 150 dialogues and 600 sentiment sentences.
fn texts() -> &'static Vec<String> {
    static TEXTS: OnceLock<Vec<String>> = OnceLock::new();
    TEXTS.get_or_init(|| {
        let mut t = vec![COHEN_PROMPT.to_string()];
        t.extend(corpus::dialogues(11, 150, &DialogueOptions::default()).unwrap());
        t.extend(
            corpus::sentiment_sentences(12, 600)
                .into_iter()
                .map(|s| s.text),
        );
        t
    })
}

fn lm() -> &'static Tokenizer {
    static TOK: OnceLock<Tokenizer> = OnceLock::new();
    TOK.get_or_init(|| causal_lm_tokenizer(texts(), 512).unwrap())
}

fn clf() -> &'static Tokenizer {
    static TOK: OnceLock<Tokenizer> = OnceLock::new();
    TOK.get_or_init(|| classifier_tokenizer(texts(), 512).unwrap())
}

#[test]
fn causal_lm_specials_have_llama_ids_and_bos_is_prepended() {
    let tok = lm();
    assert_eq!(tok.token_to_id("<unk>"), Some(0));
    assert_eq!(tok.token_to_id("<s>"), Some(BOS_ID));
    assert_eq!(tok.token_to_id("</s>"), Some(EOS_ID));
    let size = tok.get_vocab_size(true);
    // 3 specials + 256 bytes + merges; the corpus has enough repeated pairs to fill the budget.
    assert_eq!(size, 512, "vocabulary size");
    let with = encode(tok, "Teacher: Yeah?", true).unwrap();
    let without = encode(tok, "Teacher: Yeah?", false).unwrap();
    assert_eq!(with[0], BOS_ID);
    assert_eq!(&with[1..], &without[..]);
    assert!(!without.contains(&BOS_ID));
}

#[test]
fn round_trip_on_the_corpus_is_exact() {
    let tok = lm();
    let mut total_bytes = 0usize;
    let mut total_tokens = 0usize;
    let mut blank_lines = 0usize;
    for text in texts() {
        let ids = encode(tok, text, true).unwrap();
        assert_eq!(decode(tok, &ids).unwrap(), *text);
        total_bytes += text.len();
        total_tokens += ids.len() - 1;
        blank_lines += text.matches("\n\n").count();
    }
    assert!(
        blank_lines > 1000,
        "the corpus has blank lines to round-trip: {blank_lines}"
    );
    // Edge cases: whitespace only, leading/trailing blank lines, non-ASCII, text that was never seen.
    for text in [
        "\n\n",
        "\n\n\nStudent:",
        "  two  spaces  ",
        "",
        "naïve café — 東京 🙂",
        "Teacher:\n\nStudent: x\n",
    ] {
        assert_eq!(
            decode(tok, &encode(tok, text, true).unwrap()).unwrap(),
            text,
            "{text:?}"
        );
    }
    // Learnt merges make the corpus much shorter than its bytes (measured: 0.319 tokens per byte with
    // 253 merges; bytes alone would be 1.0).
    let ratio = total_tokens as f64 / total_bytes as f64;
    assert!(ratio < 0.35, "tokens per byte {ratio}");
}

#[test]
fn classifier_tokenizer_is_uncased_with_bert_specials() {
    let tok = clf();
    for (id, special) in CLASSIFIER_SPECIALS.iter().enumerate() {
        assert_eq!(tok.token_to_id(special), Some(id as u32), "{special}");
    }
    for text in texts().iter().take(200) {
        let ids = encode(tok, text, true).unwrap();
        assert_eq!(ids[0], CLS_ID);
        assert_eq!(*ids.last().unwrap(), SEP_ID);
        assert_eq!(decode(tok, &ids).unwrap(), text.to_lowercase());
    }
    assert_eq!(
        encode(tok, "GREAT Lab", false).unwrap(),
        encode(tok, "great lab", false).unwrap()
    );
    // Batch padding pads with [PAD] = 0 to the longest sequence.
    let batch = tok
        .encode_batch(vec!["ok", "the lab was really fun"], true)
        .unwrap();
    let (a, b) = (batch[0].get_ids(), batch[1].get_ids());
    assert_eq!(a.len(), b.len());
    assert_eq!(*a.last().unwrap(), PAD_ID);
}

/// Every occurrence of `pattern` in the encoded prompt covers exactly one occurrence of `name`, and
/// every occurrence of `name` is found.
fn check_pattern_positions(tok: &Tokenizer, text: &str, name: &str, pattern: &[u32]) -> usize {
    let enc = tok.encode(text, true).unwrap();
    let ids = enc.get_ids();
    let offsets = enc.get_offsets();
    let found: Vec<usize> = find_subsequence(ids, pattern)
        .into_iter()
        .map(|i| {
            let (start, end) = (offsets[i].0, offsets[i + pattern.len() - 1].1);
            assert_eq!(&text[start..end], name, "match at token {i}");
            start
        })
        .collect();
    let expected: Vec<usize> = text.match_indices(name).map(|(i, _)| i).collect();
    assert_eq!(found, expected, "{name}");
    found.len()
}

#[test]
fn cohen_name_patterns_are_found_at_the_right_places() {
    let tok = lm();
    let teacher = token_pattern(tok, COHEN_PROMPT, "Teacher:").unwrap();
    let student = token_pattern(tok, COHEN_PROMPT, "Student:").unwrap();
    assert_eq!(decode(tok, &teacher).unwrap(), "Teacher:");
    assert_eq!(decode(tok, &student).unwrap(), "Student:");
    assert_ne!(teacher, student);
    // In the prompt "Student:" starts at bytes 99 and 152, "Teacher:" at 136 and 231 (counted with
    // Python's str.find on klreg.py's init_prompt).
    assert_eq!(
        check_pattern_positions(tok, COHEN_PROMPT, "Teacher:", &teacher),
        2
    );
    assert_eq!(
        check_pattern_positions(tok, COHEN_PROMPT, "Student:", &student),
        2
    );
    let starts = |pattern: &[u32]| -> Vec<usize> {
        let enc = tok.encode(COHEN_PROMPT, true).unwrap();
        find_subsequence(enc.get_ids(), pattern)
            .into_iter()
            .map(|i| enc.get_offsets()[i].0)
            .collect()
    };
    assert_eq!(starts(&teacher), vec![136, 231]);
    assert_eq!(starts(&student), vec![99, 152]);
    // The pattern is also the tokenisation of the name right after a blank line anywhere in a transcript:
    // each dialogue's turns are all found.
    for d in corpus::dialogues(99, 30, &DialogueOptions::default()).unwrap() {
        let turns = d.matches("\n\n").count() - 1;
        let t = check_pattern_positions(tok, &d, "Teacher:", &teacher);
        let s = check_pattern_positions(tok, &d, "Student:", &student);
        assert_eq!(t + s, turns);
        assert!(
            s == t || s == t + 1,
            "student speaks first and they alternate: {s} {t}"
        );
    }
    // Cohen's own turn rule on the prompt: the last Teacher: match is after the last Student: match.
    let ids = encode(tok, COHEN_PROMPT, true).unwrap();
    let last_t = *find_subsequence(&ids, &teacher).last().unwrap();
    let last_s = *find_subsequence(&ids, &student).last().unwrap();
    assert!(last_t > last_s);
}

#[test]
fn token_pattern_works_with_the_classifier_tokenizer_and_rejects_bad_names() {
    let tok = clf();
    let teacher = token_pattern(tok, COHEN_PROMPT, "Teacher:").unwrap();
    assert_eq!(decode(tok, &teacher).unwrap(), "teacher:");
    match token_pattern(lm(), COHEN_PROMPT, "Principal:") {
        Err(LlmError::InvalidArgument { name, value, .. }) => {
            assert_eq!(name, "name");
            assert_eq!(value, "Principal:");
        }
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
    assert!(matches!(
        token_pattern(lm(), COHEN_PROMPT, ""),
        Err(LlmError::InvalidArgument { .. })
    ));
    // A "name" that starts inside a word: the prefix ends in "St", whose tokens are not a prefix of the
    // tokens of "…Student:" (the merges join across the cut), so the pattern is refused rather than
    // silently mis-detected.
    assert!(matches!(
        token_pattern(lm(), COHEN_PROMPT, "udent:"),
        Err(LlmError::Tokenizer(_))
    ));
}

#[test]
fn training_is_deterministic_and_depends_on_the_input() {
    let a = causal_lm_tokenizer(texts(), 400).unwrap();
    let b = causal_lm_tokenizer(texts(), 400).unwrap();
    assert_eq!(a.to_string(false).unwrap(), b.to_string(false).unwrap());
    assert_eq!(a.get_vocab(true), b.get_vocab(true));
    // Reversed input order: same counts, so the same vocabulary.
    let reversed: Vec<String> = texts().iter().rev().cloned().collect();
    let c = causal_lm_tokenizer(&reversed, 400).unwrap();
    assert_eq!(a.get_vocab(true), c.get_vocab(true));
    // Different texts give a different vocabulary (the comparison above can fail).
    let other: Vec<String> = corpus::sentiment_sentences(5, 300)
        .into_iter()
        .map(|s| s.text)
        .collect();
    let d = causal_lm_tokenizer(&other, 400).unwrap();
    assert_ne!(a.get_vocab(true), d.get_vocab(true));
}

#[test]
fn saved_and_reloaded_tokenizer_gives_the_same_ids() {
    let tmp = tempfile::tempdir().unwrap();
    for (tok, name) in [(lm(), "lm.json"), (clf(), "clf.json")] {
        let path = tmp.path().join(name);
        tok.save(&path, false).unwrap();
        let back = Tokenizer::from_file(&path).unwrap();
        for text in texts().iter().step_by(7) {
            assert_eq!(
                encode(&back, text, true).unwrap(),
                encode(tok, text, true).unwrap()
            );
            assert_eq!(
                encode(&back, text, false).unwrap(),
                encode(tok, text, false).unwrap()
            );
        }
        assert_eq!(back.get_vocab_size(true), tok.get_vocab_size(true));
    }
}

#[test]
fn bad_arguments_are_typed_errors() {
    let t = texts();
    assert!(matches!(
        causal_lm_tokenizer(t, 258),
        Err(LlmError::InvalidArgument {
            name: "vocab_size",
            ..
        })
    ));
    assert!(matches!(
        classifier_tokenizer(t, 260),
        Err(LlmError::InvalidArgument {
            name: "vocab_size",
            ..
        })
    ));
    assert!(matches!(
        causal_lm_tokenizer(&[], 512),
        Err(LlmError::InvalidArgument { name: "texts", .. })
    ));
    assert!(matches!(
        train_byte_level_bpe(t, 512, &["<s>", "<s>"]),
        Err(LlmError::InvalidArgument {
            name: "special_tokens",
            ..
        })
    ));
    // The smallest legal vocabulary: specials and bytes only, no merges; still round-trips.
    let bare = causal_lm_tokenizer(&t[..20], 259).unwrap();
    assert_eq!(bare.get_vocab_size(true), 259);
    assert_eq!(
        decode(&bare, &encode(&bare, COHEN_PROMPT, true).unwrap()).unwrap(),
        COHEN_PROMPT
    );
    match decode(lm(), &[5, 512]) {
        Err(LlmError::InvalidArgument { name, value, .. }) => {
            assert_eq!((name, value.as_str()), ("token id", "512"))
        }
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
}

#[test]
fn find_subsequence_counts_overlaps() {
    assert_eq!(find_subsequence(&[1, 2, 1, 2, 1], &[1, 2, 1]), vec![0, 2]);
    assert_eq!(find_subsequence(&[1, 2], &[1, 2, 3]), Vec::<usize>::new());
    assert_eq!(find_subsequence(&[1, 2], &[]), Vec::<usize>::new());
}

/// Issue 11 §2: the reward text keeps special tokens (`</s>` …), as transformers' `decode(ids)` does
/// by default in the authors' environment; `decode` (our default elsewhere) drops them.
#[test]
fn decode_keeping_special_keeps_the_special_tokens() {
    let tok = lm();
    let mut ids = encode(tok, "hi there", true).unwrap();
    ids.push(EOS_ID);
    ids.extend(encode(tok, " again", false).unwrap());
    let kept = decode_keeping_special(tok, &ids).unwrap();
    assert_eq!(kept, "<s>hi there</s> again");
    assert_eq!(decode(tok, &ids).unwrap(), "hi there again");
    assert!(decode_keeping_special(tok, &[1_000_000]).is_err());
}

/// Issue 11 §2: a BERT checkpoint with `vocab.txt` and no `tokenizer.json` gets transformers'
/// WordPiece pipeline, lower-casing (and accent stripping) as `do_lower_case` says.
#[test]
fn bert_wordpiece_follows_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let vocab = dir.path().join("vocab.txt");
    std::fs::write(
        &vocab,
        "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\ngood\n##s\ncafe\n!\nThe\nCafé\n",
    )
    .unwrap();
    let cfg_path = dir.path().join("tokenizer_config.json");
    let uncased = bert_wordpiece_from_vocab(&vocab, None, &cfg_path).unwrap();
    assert_eq!(
        encode(&uncased, "The goods Café!", true).unwrap(),
        vec![2, 5, 6, 7, 8, 9, 3]
    );
    assert_eq!(
        decode_keeping_special(&uncased, &[2, 5, 6, 7, 3]).unwrap(),
        "[CLS] the goods [SEP]"
    );
    let cased_cfg = serde_json::json!({"do_lower_case": false});
    let cased = bert_wordpiece_from_vocab(&vocab, Some(&cased_cfg), &cfg_path).unwrap();
    assert_eq!(
        encode(&cased, "The Café the [SEP]", true).unwrap(),
        vec![2, 10, 11, 5, 3, 3]
    );
    let bad = serde_json::json!({"do_lower_case": "yes"});
    let err = bert_wordpiece_from_vocab(&vocab, Some(&bad), &cfg_path)
        .unwrap_err()
        .to_string();
    assert!(err.contains("do_lower_case"), "{err}");
    std::fs::write(&vocab, "a\nb\n").unwrap();
    let err = bert_wordpiece_from_vocab(&vocab, None, &cfg_path)
        .unwrap_err()
        .to_string();
    assert!(err.contains("[CLS]") || err.contains("[UNK]"), "{err}");
}
