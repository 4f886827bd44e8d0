//! The keyword prefilter: every occurrence of every rule keyword in a blob, in any ASCII case,
//! in one pass.
//!
//! An Aho-Corasick automaton, compiled to a dense DFA over byte classes. The `aho-corasick`
//! crate's DFA did this at ~300 MB/s on the bench tree with 1,777 keywords: with that many
//! patterns it has no prefilter to skip ahead, so every byte is one step of a dependent chain
//! of loads (state, then the next state), and the loop waits on memory latency, not bandwidth.
//! This DFA walks eight parts of a blob at once, independent chains the CPU overlaps:
//! ~1,050 MB/s on the same data and machine (measured with the `aho-corasick` crate's
//! overlapping search as the reference, same hits). Two more savings: ASCII case is folded in
//! the byte-class table, so no lower-cased copy of the blob is made, and matches are
//! overlapping (every keyword at every place), so a keyword inside a longer one (`sk-` in
//! `sk-proj-`) needs no special handling.
//!
//! The automaton is built directly from the keywords (trie, failure links, then every
//! transition filled in breadth-first order).

use std::ops::Range;

/// Bytes walked before the hits found in them are handed on (see [`Keywords::for_each_match`]).
const SEGMENT: usize = 1 << 18;
/// Segments shorter than this are walked as one part: splitting costs the overlap of each part
/// and a few branches, which a small blob does not pay back.
const SPLIT_MIN: usize = 4096;
/// Parts walked side by side. On the bench tree, one part ran at ~340 MB/s, 4 at ~930, 6 and 8
/// at ~1,050; a git/git history scan, 8 parts against 4, alternating, 5 runs each: 13.22 vs
/// 13.57 s and 14.18 vs 15.00 s.
const PARTS: usize = 8;

/// Keyword automaton. State ids are premultiplied: a state is the offset of its row in `next`.
#[derive(Debug, Clone)]
pub struct Keywords {
    /// Byte to class. Class 0 is every byte no keyword holds; `A`-`Z` share `a`-`z`'s.
    classes: [u8; 256],
    /// log2 of the row length (the number of classes, rounded up to a power of two).
    shift: u32,
    /// `next[state + class]` is the state after reading a byte of that class.
    next: Vec<u32>,
    /// States at or past this offset end at least one keyword.
    first_match: u32,
    /// Per match state (by `(state - first_match) >> shift`), its range in `ends`.
    outputs: Vec<Range<u32>>,
    /// Keyword ids, longest first within each state's range.
    ends: Vec<u32>,
    /// Length of each keyword in bytes.
    lens: Vec<u32>,
    /// The longest keyword's length.
    max_len: usize,
}

/// Where keywords ended in the segment last walked: per part, the position of the last byte of
/// a match and the state reached there. Reused across blobs.
#[derive(Debug, Default)]
pub struct Hits {
    parts: [Vec<(usize, u32)>; PARTS],
}

impl Keywords {
    /// The automaton for `keywords` (matched in any ASCII case). Keyword `i` is reported as
    /// pattern `i`. Empty keywords are never reported. Fails with the number of states when
    /// the table would outgrow its 32-bit offsets.
    pub fn new<K: AsRef<[u8]>>(keywords: &[K]) -> Result<Keywords, usize> {
        // A-Z fold into a-z, so at most 230 byte values are told apart: a class id fits a u8.
        let mut classes = [0u8; 256];
        let mut count = 1usize;
        for k in keywords {
            for &b in k.as_ref() {
                let b = b.to_ascii_lowercase();
                if classes[b as usize] == 0 {
                    classes[b as usize] = count as u8;
                    classes[b.to_ascii_uppercase() as usize] = count as u8;
                    count += 1;
                }
            }
        }
        let shift = count.next_power_of_two().trailing_zeros();
        let stride = 1usize << shift;

        // The trie, sparse: most states have one child, and a dense trie would be a second
        // table as large as the automaton, its pages touched for nothing.
        let mut edges: Vec<Vec<(u8, u32)>> = vec![Vec::new()];
        let mut own: Vec<Vec<u32>> = vec![Vec::new()];
        let child = |edges: &[Vec<(u8, u32)>], s: usize, c: u8| {
            edges[s].iter().find(|e| e.0 == c).map(|e| e.1 as usize)
        };
        for (id, k) in keywords.iter().enumerate() {
            let k = k.as_ref();
            if k.is_empty() {
                continue;
            }
            let mut s = 0usize;
            for &b in k {
                let c = classes[b as usize];
                s = match child(&edges, s, c) {
                    Some(t) => t,
                    None => {
                        let t = edges.len();
                        if (t + 1) << shift > u32::MAX as usize {
                            return Err(t + 1);
                        }
                        edges[s].push((c, t as u32));
                        edges.push(Vec::new());
                        own.push(Vec::new());
                        t
                    }
                };
            }
            own[s].push(id as u32);
        }
        let states = edges.len();

        // Failure links, breadth-first: the longest proper suffix of a state's text that is
        // also a state. Then every keyword ending at a state: its own, then those ending at its
        // failure state (shorter suffixes), complete because that state is shallower.
        let mut fail = vec![0usize; states];
        let mut order = vec![0usize];
        let mut i = 0;
        while i < order.len() {
            let s = order[i];
            i += 1;
            for &(c, t) in &edges[s] {
                let t = t as usize;
                if s != 0 {
                    let mut f = fail[s];
                    fail[t] = loop {
                        if let Some(x) = child(&edges, f, c) {
                            break x;
                        }
                        if f == 0 {
                            break 0;
                        }
                        f = fail[f];
                    };
                }
                order.push(t);
            }
        }
        let lens: Vec<u32> = keywords.iter().map(|k| k.as_ref().len() as u32).collect();
        let mut all: Vec<Vec<u32>> = own;
        for &s in &order[1..] {
            if !all[fail[s]].is_empty() {
                let inherited = all[fail[s]].clone();
                all[s].extend(inherited);
            }
        }
        for list in &mut all {
            list.sort_by(|&a, &b| lens[b as usize].cmp(&lens[a as usize]).then(a.cmp(&b)));
            list.dedup();
        }

        // Renumber: the start state first, match states last, so one comparison per byte
        // tells whether a keyword ended. Rows are premultiplied offsets.
        let mut row = vec![0usize; states];
        let (plain, matching): (Vec<usize>, Vec<usize>) =
            (0..states).partition(|&s| all[s].is_empty());
        debug_assert_eq!(plain.first(), Some(&0), "the start state ends no keyword");
        for (n, &s) in plain.iter().chain(&matching).enumerate() {
            row[s] = n << shift;
        }
        // The dense table, breadth-first: a state's row is its failure state's row (complete,
        // being shallower) with the state's own trie edges written over it.
        let mut table = vec![0u32; states * stride];
        for &s in &order {
            let r = row[s];
            if s != 0 {
                let f = row[fail[s]];
                table.copy_within(f..f + stride, r);
            }
            for &(c, t) in &edges[s] {
                table[r + c as usize] = row[t as usize] as u32;
            }
        }
        let mut outputs = Vec::with_capacity(matching.len());
        let mut ends = Vec::new();
        for &s in &matching {
            let start = ends.len() as u32;
            ends.extend_from_slice(&all[s]);
            outputs.push(start..ends.len() as u32);
        }
        Ok(Keywords {
            classes,
            shift,
            next: table,
            first_match: (plain.len() << shift) as u32,
            outputs,
            ends,
            lens,
            max_len: keywords.iter().map(|k| k.as_ref().len()).max().unwrap_or(0),
        })
    }

    /// Calls `f(keyword, range in hay)` for every occurrence of every keyword in `hay`, in order
    /// of where they end (longest first at one end). `hits` is scratch space, reused.
    ///
    /// The blob is walked [`SEGMENT`] bytes at a time and each segment's hits are handed on
    /// before the next is walked: a blob dense in keywords (a line of 10 million `password=`)
    /// would otherwise hold a hit per few bytes, several times the blob's size.
    // Not inlined into `Engine::scan`: when it was (after confirm's filters grew in session
    // 32), the whole-history audit of git/git ran 2-3 % slower (benches/runs/…-s32).
    #[inline(never)]
    pub fn for_each_match(
        &self,
        hay: &[u8],
        hits: &mut Hits,
        mut f: impl FnMut(usize, Range<usize>),
    ) {
        if self.max_len == 0 {
            return;
        }
        let mut from = 0;
        while from < hay.len() {
            let to = hay.len().min(from + SEGMENT);
            self.find(hay, from..to, hits);
            for &(at, state) in hits.parts.iter().flatten() {
                let r = &self.outputs[((state - self.first_match) >> self.shift) as usize];
                for &id in &self.ends[r.start as usize..r.end as usize] {
                    let len = self.lens[id as usize] as usize;
                    f(id as usize, at + 1 - len..at + 1);
                }
            }
            from = to;
        }
    }

    /// Finds into `hits` the keywords that end in `ends` (and may begin before it).
    fn find(&self, hay: &[u8], ends: Range<usize>, hits: &mut Hits) {
        for part in &mut hits.parts {
            part.clear();
        }
        // A keyword ending at `e` begins at `e - (max_len - 1)` or later: a walk from the start
        // state there sees it, whatever came before.
        let overlap = self.max_len - 1;
        let hay = &hay[..ends.end];
        if ends.len() < SPLIT_MIN.max(PARTS * self.max_len * 4) {
            let from = ends.start.saturating_sub(overlap);
            self.walk_one(hay, from, ends.start, 0, &mut hits.parts[0]);
            return;
        }
        // Part k owns the match ends in [own[k], end[k]) and starts walking `overlap` bytes
        // before them.
        let size = ends.len() / PARTS;
        let own: [usize; PARTS] = std::array::from_fn(|k| ends.start + k * size);
        let mut pos: [usize; PARTS] = std::array::from_fn(|k| own[k].saturating_sub(overlap));
        let end: [usize; PARTS] =
            std::array::from_fn(|k| if k + 1 == PARTS { ends.end } else { own[k + 1] });
        let mut state = [0u32; PARTS];
        let steps = (0..PARTS).map(|k| end[k] - pos[k]).min().unwrap_or(0);
        let (next, classes, first_match) = (&self.next[..], &self.classes, self.first_match);
        for _ in 0..steps {
            for k in 0..PARTS {
                let b = hay[pos[k]];
                state[k] = next[state[k] as usize + classes[b as usize] as usize];
                if state[k] >= first_match && pos[k] >= own[k] {
                    hits.parts[k].push((pos[k], state[k]));
                }
                pos[k] += 1;
            }
        }
        for k in 0..PARTS {
            self.walk_one(&hay[..end[k]], pos[k], own[k], state[k], &mut hits.parts[k]);
        }
    }

    /// Walks `hay[from..]` from `state`, pushing every match that ends at `own` or later.
    fn walk_one(
        &self,
        hay: &[u8],
        from: usize,
        own: usize,
        mut state: u32,
        out: &mut Vec<(usize, u32)>,
    ) {
        let (next, classes, first_match) = (&self.next[..], &self.classes, self.first_match);
        for (i, &b) in hay.iter().enumerate().skip(from) {
            state = next[state as usize + classes[b as usize] as usize];
            if state >= first_match && i >= own {
                out.push((i, state));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(kw: &Keywords, hay: &[u8]) -> Vec<(usize, Range<usize>)> {
        let mut v = Vec::new();
        kw.for_each_match(hay, &mut Hits::default(), |id, r| v.push((id, r)));
        v.sort_by_key(|(id, r)| (r.start, r.end, *id));
        v
    }

    /// Every occurrence, by brute force: the reference the automaton must equal.
    fn naive(keywords: &[&[u8]], hay: &[u8]) -> Vec<(usize, Range<usize>)> {
        let mut v = Vec::new();
        for (id, k) in keywords.iter().enumerate() {
            if k.is_empty() || k.len() > hay.len() {
                continue;
            }
            for at in 0..=hay.len() - k.len() {
                if hay[at..at + k.len()].eq_ignore_ascii_case(k) {
                    v.push((id, at..at + k.len()));
                }
            }
        }
        v.sort_by_key(|(id, r)| (r.start, r.end, *id));
        v
    }

    /// xorshift: reproducible pseudo-random input without a dependency.
    fn rng(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    #[test]
    fn finds_overlapping_and_nested_keywords_in_any_case() {
        let keywords: [&[u8]; 5] = [b"sk-", b"sk-proj-", b"secret_key", b"admin_secret", b"key"];
        let kw = Keywords::new(&keywords).unwrap();
        let hay = b"K=SK-PROJ-abc hasura_ADMIN_SECRET_KEY=1";
        assert_eq!(found(&kw, hay), naive(&keywords, hay));
        let ids: Vec<usize> = found(&kw, hay).iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, [0, 1, 3, 2, 4]);
    }

    #[test]
    fn nothing_in_empty_or_keywordless_input() {
        let kw = Keywords::new(&[&b"token"[..]]).unwrap();
        assert!(found(&kw, b"").is_empty());
        assert!(found(&kw, &vec![b'x'; 20_000]).is_empty());
        let none = Keywords::new::<&[u8]>(&[]).unwrap();
        assert!(found(&none, b"token").is_empty());
        let empty = Keywords::new(&[&b""[..], &b"ab"[..]]).unwrap();
        assert_eq!(found(&empty, b"xAb"), [(1, 1..3)]);
    }

    #[test]
    fn non_ascii_and_punctuation_keywords_match_exactly() {
        let keywords: [&[u8]; 3] = ["clé_".as_bytes(), b"[ldap_server", b"user:"];
        let kw = Keywords::new(&keywords).unwrap();
        let hay = "CLé_x [LDAP_SERVER] USER: clÉ_".as_bytes();
        // `é` is not ASCII, so its case is not folded: `É` does not match.
        assert_eq!(found(&kw, hay), naive(&keywords, hay));
        assert_eq!(found(&kw, hay).len(), 3);
    }

    #[test]
    fn every_byte_value_in_keywords() {
        let all: Vec<u8> = (0..=255).collect();
        let keywords: Vec<&[u8]> = all.chunks(7).collect();
        let kw = Keywords::new(&keywords).unwrap();
        let mut seed = 0x9e37_79b9_7f4a_7c15;
        let hay: Vec<u8> = (0..50_000).map(|_| (rng(&mut seed) % 256) as u8).collect();
        let mut with = hay.clone();
        with.extend_from_slice(&all);
        assert_eq!(found(&kw, &with), naive(&keywords, &with));
    }

    #[test]
    fn same_as_brute_force_across_part_borders() {
        let mut seed = 0x2545_f491_4f6c_dd1d;
        for round in 0..40 {
            // Keywords and text over a small alphabet so matches are dense and cross the
            // borders of the parts a long blob is split into.
            let alphabet = b"abcAB_-:";
            let keywords: Vec<Vec<u8>> = (0..1 + round % 12)
                .map(|_| {
                    let len = 1 + (rng(&mut seed) % 6) as usize;
                    (0..len)
                        .map(|_| alphabet[(rng(&mut seed) % 8) as usize].to_ascii_lowercase())
                        .collect()
                })
                .collect();
            let refs: Vec<&[u8]> = keywords.iter().map(Vec::as_slice).collect();
            let kw = Keywords::new(&refs).unwrap();
            let long = if round % 10 == 0 { SEGMENT + 4_099 } else { 0 };
            for len in [0, 1, 5, 4095, 4096, 4097, 9_999, 20_003, long] {
                let hay: Vec<u8> = (0..len)
                    .map(|_| alphabet[(rng(&mut seed) % 8) as usize])
                    .collect();
                assert_eq!(
                    found(&kw, &hay),
                    naive(&refs, &hay),
                    "round {round} len {len}"
                );
            }
        }
    }

    #[test]
    fn same_as_the_aho_corasick_crate_on_the_built_in_keywords() {
        let rules = crate::RuleSet::builtin().expect("built-in rules");
        let mut keywords: Vec<String> = rules
            .rules()
            .iter()
            .flat_map(|r| r.keywords.iter().map(|k| k.to_ascii_lowercase()))
            .collect();
        keywords.sort();
        keywords.dedup();
        let kw = Keywords::new(&keywords).unwrap();
        let reference = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&keywords)
            .expect("automaton");
        let mut seed = 0x1234_5678_9abc_def1;
        // Keywords glued together with random bytes between them, in random case.
        let mut hay = Vec::new();
        // Long enough to be walked in three segments.
        while hay.len() < 2 * SEGMENT + 50_000 {
            let k = keywords[(rng(&mut seed) % keywords.len() as u64) as usize].as_bytes();
            hay.extend(k.iter().map(|&b| {
                if rng(&mut seed).is_multiple_of(2) {
                    b.to_ascii_uppercase()
                } else {
                    b
                }
            }));
            for _ in 0..rng(&mut seed) % 6 {
                hay.push(b" =_:\"'\n"[(rng(&mut seed) % 7) as usize]);
            }
        }
        let mut expected: Vec<(usize, Range<usize>)> = reference
            .find_overlapping_iter(&hay)
            .map(|m| (m.pattern().as_usize(), m.range()))
            .collect();
        expected.sort_by_key(|(id, r)| (r.start, r.end, *id));
        assert_eq!(found(&kw, &hay), expected);
    }
}
