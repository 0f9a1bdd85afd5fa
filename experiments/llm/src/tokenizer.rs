//! Tokenizers for the small models trained here: byte-level BPE learnt from the synthetic corpus.
//!
//! The paper's models come with their own tokenizers (Cohen et al. 2024 §3.2: the Mistral
//! SentencePiece vocabulary with `<s>` prepended; DistilBERT's uncased WordPiece). The tiny stand-ins
//! use byte-level BPE trained with the `tokenizers` crate, with the same conventions where they matter:
//!
//! * [`causal_lm_tokenizer`]: `<unk>` = 0, `<s>` = 1, `</s>` = 2 (the Llama/Mistral ids), and a
//!   post-processor that prepends `<s>`;
//! * [`classifier_tokenizer`]: `[PAD]` = 0, `[UNK]` = 1, `[CLS]` = 2, `[SEP]` = 3, `[MASK]` = 4, template
//!   `[CLS] $A [SEP]`, lower-casing normaliser (the real reward model is uncased).
//!
//! Byte-level means every string encodes (no unknown token is ever produced) and decoding gives the
//! text back byte for byte, newlines included. The pre-tokenizer splits words, numbers, punctuation
//! runs and whitespace runs (GPT-2's pattern without its "whitespace not followed by a non-space"
//! rule), so a blank line `\n\n` is one piece whether or not text follows it: the tokens of
//! `Teacher:` after a blank line are then the same as at the end of a prefix, which is what
//! [`token_pattern`] (Cohen's turn-detection trick, spec §3.3) relies on.
//!
//! BPE training is deterministic: merges are chosen by count with ties broken by token ids, and ids are
//! assigned from sorted data, so the same texts give the same vocabulary.

use std::collections::HashSet;

use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::bpe::{BpeTrainer, BPE};
use tokenizers::models::TrainerWrapper;
use tokenizers::normalizers::utils::Lowercase;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::processors::template::TemplateProcessing;
use tokenizers::{
    AddedToken, PaddingParams, PaddingStrategy, PreTokenizerWrapper, SplitDelimiterBehavior,
    Tokenizer,
};

use crate::error::{LlmError, Result};

/// Pieces the BPE never merges across: English contractions, letter runs, digit runs, punctuation
/// runs (each with at most one leading space) and whitespace runs.
pub const SPLIT_PATTERN: &str = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+";

/// Size of the byte-level alphabet (every byte is a token, so nothing is ever unknown).
pub const BYTE_ALPHABET: usize = 256;

/// Special tokens of [`causal_lm_tokenizer`], in id order (Llama/Mistral ids 0, 1, 2).
pub const CAUSAL_LM_SPECIALS: [&str; 3] = ["<unk>", "<s>", "</s>"];
/// Id of `<s>` in [`causal_lm_tokenizer`].
pub const BOS_ID: u32 = 1;
/// Id of `</s>` in [`causal_lm_tokenizer`].
pub const EOS_ID: u32 = 2;

/// Special tokens of [`classifier_tokenizer`], in id order (BERT's).
pub const CLASSIFIER_SPECIALS: [&str; 5] = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
/// Id of `[PAD]` in [`classifier_tokenizer`].
pub const PAD_ID: u32 = 0;
/// Id of `[CLS]` in [`classifier_tokenizer`].
pub const CLS_ID: u32 = 2;
/// Id of `[SEP]` in [`classifier_tokenizer`].
pub const SEP_ID: u32 = 3;

fn tok_err(e: impl std::fmt::Display) -> LlmError {
    LlmError::Tokenizer(e.to_string())
}

/// An untrained byte-level BPE tokenizer: the split pre-tokenizer, the byte-level mapping and decoder.
fn byte_level_skeleton() -> Result<Tokenizer> {
    let split = Split::new(
        SplitPattern::Regex(SPLIT_PATTERN.into()),
        SplitDelimiterBehavior::Isolated,
        false,
    )
    .map_err(tok_err)?;
    let pre = Sequence::new(vec![
        PreTokenizerWrapper::Split(split),
        // No prefix space (decoding is then exact), no offset trimming, no second regex split.
        PreTokenizerWrapper::ByteLevel(ByteLevel::new(false, false, false)),
    ]);
    let mut tok = Tokenizer::new(BPE::default());
    tok.with_pre_tokenizer(Some(pre));
    tok.with_decoder(Some(ByteLevelDecoder::new(false, false, false)));
    Ok(tok)
}

/// Trains a byte-level BPE on `texts`: ids `0..special_tokens.len()` are the special tokens in the
/// order given, then the 256 byte symbols, then the merges (pairs seen at least twice), up to
/// `vocab_size` tokens in all.
///
/// # Errors
/// [`LlmError::InvalidArgument`] for no texts, an empty or repeated special token, or
/// `vocab_size < special_tokens.len() + 256`; [`LlmError::Tokenizer`] if training fails.
pub fn train_byte_level_bpe(
    texts: &[String],
    vocab_size: usize,
    special_tokens: &[&str],
) -> Result<Tokenizer> {
    let tok = byte_level_skeleton()?;
    train(tok, texts, vocab_size, special_tokens)
}

fn train(
    mut tok: Tokenizer,
    texts: &[String],
    vocab_size: usize,
    special_tokens: &[&str],
) -> Result<Tokenizer> {
    if texts.is_empty() {
        return Err(LlmError::invalid(
            "texts",
            "[]",
            "at least one training text",
        ));
    }
    let distinct: HashSet<&&str> = special_tokens.iter().collect();
    if special_tokens.iter().any(|s| s.is_empty()) || distinct.len() != special_tokens.len() {
        return Err(LlmError::invalid(
            "special_tokens",
            format!("{special_tokens:?}"),
            "distinct non-empty strings",
        ));
    }
    if vocab_size < special_tokens.len() + BYTE_ALPHABET {
        return Err(LlmError::invalid(
            "vocab_size",
            vocab_size,
            "at least the number of special tokens + 256 (the byte alphabet)",
        ));
    }
    let alphabet: HashSet<char> = ByteLevel::alphabet().into_iter().collect();
    let trainer = BpeTrainer::builder()
        .vocab_size(vocab_size)
        .min_frequency(2)
        .show_progress(false)
        .special_tokens(
            special_tokens
                .iter()
                .map(|s| AddedToken::from(s.to_string(), true))
                .collect(),
        )
        .initial_alphabet(alphabet)
        .build();
    let mut trainer = TrainerWrapper::from(trainer);
    tok.train(&mut trainer, texts.iter()).map_err(tok_err)?;
    for (expected, special) in special_tokens.iter().enumerate() {
        let id = tok.token_to_id(special);
        if id != Some(expected as u32) {
            return Err(LlmError::Tokenizer(format!(
                "special token {special} got id {id:?}, expected {expected}"
            )));
        }
    }
    Ok(tok)
}

/// A tokenizer for the causal LM: byte-level BPE with `<unk>` = 0, `<s>` = 1, `</s>` = 2, and `<s>`
/// prepended when special tokens are added.
///
/// # Errors
/// As [`train_byte_level_bpe`] (`vocab_size ≥ 259`).
pub fn causal_lm_tokenizer(texts: &[String], vocab_size: usize) -> Result<Tokenizer> {
    let mut tok = train_byte_level_bpe(texts, vocab_size, &CAUSAL_LM_SPECIALS)?;
    let post = TemplateProcessing::builder()
        .try_single("<s> $A")
        .and_then(|b| b.try_pair("<s> $A $B:1"))
        .map_err(tok_err)?
        .special_tokens(vec![("<s>", BOS_ID)])
        .build()
        .map_err(tok_err)?;
    tok.with_post_processor(Some(post));
    Ok(tok)
}

/// A tokenizer for the sentiment classifier: lower-casing normaliser, byte-level BPE with `[PAD]` = 0,
/// `[UNK]` = 1, `[CLS]` = 2, `[SEP]` = 3, `[MASK]` = 4, the template `[CLS] $A [SEP]`, and batch padding
/// with `[PAD]`.
///
/// # Errors
/// As [`train_byte_level_bpe`] (`vocab_size ≥ 261`).
pub fn classifier_tokenizer(texts: &[String], vocab_size: usize) -> Result<Tokenizer> {
    let mut tok = byte_level_skeleton()?;
    tok.with_normalizer(Some(Lowercase));
    let mut tok = train(tok, texts, vocab_size, &CLASSIFIER_SPECIALS)?;
    let post = TemplateProcessing::builder()
        .try_single("[CLS] $A [SEP]")
        .and_then(|b| b.try_pair("[CLS] $A [SEP] $B:1 [SEP]:1"))
        .map_err(tok_err)?
        .special_tokens(vec![("[CLS]", CLS_ID), ("[SEP]", SEP_ID)])
        .build()
        .map_err(tok_err)?;
    tok.with_post_processor(Some(post));
    tok.with_padding(Some(PaddingParams {
        strategy: PaddingStrategy::BatchLongest,
        pad_id: PAD_ID,
        pad_token: "[PAD]".into(),
        ..PaddingParams::default()
    }));
    Ok(tok)
}

/// The BERT WordPiece tokenizer of a checkpoint that ships `vocab.txt` (one token per line, id = line
/// number) and `tokenizer_config.json` but no `tokenizer.json`, as
/// `distilbert-base-uncased-finetuned-sst-2-english` does: built exactly as transformers' fast
/// tokenizer builds it from those files (`BertConverter` in `convert_slow_tokenizer.py`):
///
/// * normaliser `BertNormalizer(clean_text = true, handle_chinese_chars = tokenize_chinese_chars,
///   strip_accents, lowercase = do_lower_case)`, defaults `do_lower_case = true`,
///   `tokenize_chinese_chars = true`, `strip_accents = null` (= follow lowercasing);
/// * pre-tokenizer `BertPreTokenizer` (whitespace and punctuation);
/// * model WordPiece, `unk_token` (default `[UNK]`), prefix `##`, at most 100 characters per word;
/// * post-processor `[CLS] $A [SEP]` (pair `[CLS] $A [SEP] $B:1 [SEP]:1`) with the vocabulary's ids;
/// * decoder WordPiece (prefix `##`, cleanup on);
/// * the special tokens (`unk`, `sep`, `pad`, `cls`, `mask`, names from the config) as added special
///   tokens, so that they are matched whole in text and skipped when decoding with `skip_special`.
///
/// `config` is the parsed `tokenizer_config.json` (`None` when the file is absent: all defaults).
///
/// # Errors
/// [`LlmError::Tokenizer`] naming `vocab_path` if it cannot be read or lacks a special token the
/// template needs; [`LlmError::Config`] for a config field of the wrong type.
pub fn bert_wordpiece_from_vocab(
    vocab_path: &std::path::Path,
    config: Option<&serde_json::Value>,
    config_path: &std::path::Path,
) -> Result<Tokenizer> {
    use tokenizers::decoders::wordpiece::WordPiece as WordPieceDecoder;
    use tokenizers::models::wordpiece::WordPiece;
    use tokenizers::normalizers::bert::BertNormalizer;
    use tokenizers::pre_tokenizers::bert::BertPreTokenizer;

    let null = serde_json::Value::Null;
    let field = |name: &str| config.and_then(|c| c.get(name)).unwrap_or(&null);
    let bad = |name: &str, want: &str| LlmError::Config {
        path: config_path.display().to_string(),
        message: format!("{name} = {}: expected {want}", field(name)),
    };
    let flag = |name: &str, default: bool| -> Result<bool> {
        match field(name) {
            serde_json::Value::Null => Ok(default),
            serde_json::Value::Bool(b) => Ok(*b),
            _ => Err(bad(name, "true or false")),
        }
    };
    let token = |name: &str, default: &str| -> Result<String> {
        match field(name) {
            serde_json::Value::Null => Ok(default.to_string()),
            serde_json::Value::String(s) => Ok(s.clone()),
            // transformers also writes AddedToken objects: {"content": "[CLS]", ...}
            serde_json::Value::Object(o) => o
                .get("content")
                .and_then(|c| c.as_str())
                .map(str::to_string)
                .ok_or_else(|| bad(name, "a token string")),
            _ => Err(bad(name, "a token string")),
        }
    };
    let lowercase = flag("do_lower_case", true)?;
    let chinese = flag("tokenize_chinese_chars", true)?;
    let strip_accents = match field("strip_accents") {
        serde_json::Value::Null => None,
        serde_json::Value::Bool(b) => Some(*b),
        _ => return Err(bad("strip_accents", "true, false or null")),
    };
    let unk = token("unk_token", "[UNK]")?;
    let sep = token("sep_token", "[SEP]")?;
    let pad = token("pad_token", "[PAD]")?;
    let cls = token("cls_token", "[CLS]")?;
    let mask = token("mask_token", "[MASK]")?;

    let vocab_file = vocab_path.display().to_string();
    let model = WordPiece::from_file(&vocab_file)
        .unk_token(unk.clone())
        .continuing_subword_prefix("##".into())
        .max_input_chars_per_word(100)
        .build()
        .map_err(|e| LlmError::Tokenizer(format!("{vocab_file}: {e}")))?;
    let mut tok = Tokenizer::new(model);
    let id_of = |t: &str, tok: &Tokenizer| -> Result<u32> {
        tok.token_to_id(t).ok_or_else(|| {
            LlmError::Tokenizer(format!(
                "{vocab_file}: the special token {t} is not in the vocabulary"
            ))
        })
    };
    let (cls_id, sep_id) = (id_of(&cls, &tok)?, id_of(&sep, &tok)?);
    id_of(&unk, &tok)?;
    tok.with_normalizer(Some(BertNormalizer::new(
        true,
        chinese,
        strip_accents,
        lowercase,
    )));
    tok.with_pre_tokenizer(Some(BertPreTokenizer));
    let post = TemplateProcessing::builder()
        .try_single(format!("{cls} $A {sep}"))
        .and_then(|b| b.try_pair(format!("{cls} $A {sep} $B:1 {sep}:1")))
        .map_err(tok_err)?
        .special_tokens(vec![(cls.clone(), cls_id), (sep.clone(), sep_id)])
        .build()
        .map_err(tok_err)?;
    tok.with_post_processor(Some(post));
    tok.with_decoder(Some(WordPieceDecoder::new("##".into(), true)));
    // transformers adds the special tokens that are in the vocabulary as special added tokens (in this
    // order: unk, sep, pad, cls, mask); a name missing from the vocabulary (a custom mask) is skipped.
    let specials: Vec<AddedToken> = [&unk, &sep, &pad, &cls, &mask]
        .into_iter()
        .filter(|t| tok.token_to_id(t).is_some())
        .map(|t| AddedToken::from(t.clone(), true))
        .collect();
    tok.add_special_tokens(&specials);
    Ok(tok)
}

/// Token ids of `text`; with `add_special`, the tokenizer's template (`<s>` first, or `[CLS] … [SEP]`).
///
/// # Errors
/// [`LlmError::Tokenizer`] if the tokenizer fails.
pub fn encode(tok: &Tokenizer, text: &str, add_special: bool) -> Result<Vec<u32>> {
    Ok(tok
        .encode(text, add_special)
        .map_err(tok_err)?
        .get_ids()
        .to_vec())
}

/// The text of `ids`, special tokens left out (so `decode(encode(t, true)) == t` for the causal LM
/// tokenizer, and the lower-cased `t` for the classifier's).
///
/// # Errors
/// [`LlmError::InvalidArgument`] for an id outside the vocabulary; [`LlmError::Tokenizer`] if the
/// tokenizer fails.
pub fn decode(tok: &Tokenizer, ids: &[u32]) -> Result<String> {
    decode_checked(tok, ids, true)
}

/// Decodes `ids` after checking each is inside the vocabulary (an id outside it is a one-line error
/// naming it); `skip_special` as transformers' `skip_special_tokens`.
fn decode_checked(tok: &Tokenizer, ids: &[u32], skip_special: bool) -> Result<String> {
    let size = tok.get_vocab_size(true);
    if let Some(bad) = ids.iter().find(|&&id| id as usize >= size) {
        return Err(LlmError::invalid(
            "token id",
            bad,
            "an id below the vocabulary size",
        ));
    }
    tok.decode(ids, skip_special).map_err(tok_err)
}

/// The text of `ids` with the special tokens kept (`<s>`, `</s>`, …), as transformers'
/// `tokenizer.decode(ids)` does by default (`skip_special_tokens=False`). Cohen et al.'s environment
/// decodes the student's reply this way before the reward model reads it.
///
/// # Errors
/// As [`decode`].
pub fn decode_keeping_special(tok: &Tokenizer, ids: &[u32]) -> Result<String> {
    decode_checked(tok, ids, false)
}

/// The token ids of `name` (e.g. `"Teacher:"`) as it is tokenised inside `prompt` — Cohen's trick
/// (spec §3.3, `ChatEnv._get_name_tokens`): tokenise the prompt up to and including the first
/// occurrence of `name`, and drop the tokens of the prompt before it; an empty trailing token is
/// dropped. Turn detection then matches this id sequence inside the transcript.
///
/// # Errors
/// [`LlmError::InvalidArgument`] if `name` is empty or not in `prompt`; [`LlmError::Tokenizer`] if its
/// tokens are not self-contained (they decode to something other than `name`, i.e. a token straddles
/// the boundary with the preceding text, and a subsequence match would be unreliable).
pub fn token_pattern(tok: &Tokenizer, prompt: &str, name: &str) -> Result<Vec<u32>> {
    if name.is_empty() {
        return Err(LlmError::invalid(
            "name",
            "\"\"",
            "a non-empty speaker tag such as `Teacher:`",
        ));
    }
    let Some(start) = prompt.find(name) else {
        return Err(LlmError::invalid(
            "name",
            name,
            "a string that occurs in the prompt",
        ));
    };
    let before = encode(tok, &prompt[..start], false)?;
    let through = encode(tok, &prompt[..start + name.len()], false)?;
    let mut pattern = through.get(before.len()..).unwrap_or_default().to_vec();
    while let Some(&last) = pattern.last() {
        if decode(tok, &[last])?.is_empty() {
            pattern.pop();
        } else {
            break;
        }
    }
    let decoded = decode(tok, &pattern)?;
    // A normaliser (lower-casing) may change the name; compare with the name as the tokenizer sees it.
    let as_seen = decode(tok, &encode(tok, name, false)?)?;
    if pattern.is_empty()
        || (decoded != name && decoded != as_seen)
        || through[..before.len().min(through.len())] != before[..]
    {
        return Err(LlmError::Tokenizer(format!(
            "the tokens of `{name}` in the prompt are not self-contained (they decode to `{decoded}`): \
             turn detection by token match would be unreliable"
        )));
    }
    Ok(pattern)
}

/// Start positions of every occurrence of `pattern` in `ids` (overlapping matches included).
pub fn find_subsequence(ids: &[u32], pattern: &[u32]) -> Vec<usize> {
    if pattern.is_empty() || pattern.len() > ids.len() {
        return Vec::new();
    }
    ids.windows(pattern.len())
        .enumerate()
        .filter(|(_, w)| *w == pattern)
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests;
