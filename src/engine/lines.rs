//! Byte offsets to 1-based line and column numbers, computed only for blobs with matches.

/// A 1-based position. Columns count Unicode scalar values of valid UTF-8, which is what
/// editors and SARIF's `unicodeCodePoints` column kind show: every byte that is not a UTF-8
/// continuation byte (0x80-0xBF) starts a column, so an invalid lead byte counts as one and a
/// stray continuation byte as none (editors disagree on invalid bytes anyway).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

/// Converts ascending byte offsets in one blob to positions, scanning the blob once.
#[derive(Debug)]
pub struct Locator<'a> {
    data: &'a [u8],
    offset: usize,
    line: usize,
    line_start: usize,
    /// Column of `offset`: counted on from the last call, so that many matches on one long
    /// line (minified code) cost the line once, not once per match.
    column: usize,
}

impl<'a> Locator<'a> {
    /// Starts at the beginning of `data`.
    pub fn new(data: &'a [u8]) -> Locator<'a> {
        Locator {
            data,
            offset: 0,
            line: 1,
            line_start: 0,
            column: 1,
        }
    }

    /// Position of byte `offset`. Offsets may repeat or go back; going back within the line
    /// recounts from its start, further back rescans.
    pub fn locate(&mut self, offset: usize) -> Position {
        let offset = offset.min(self.data.len());
        if offset < self.offset {
            if offset >= self.line_start {
                self.offset = self.line_start;
                self.column = 1;
            } else {
                *self = Locator::new(self.data);
            }
        }
        let span = &self.data[self.offset..offset];
        let counted_from = match memchr::memrchr(b'\n', span) {
            Some(last) => {
                self.line += memchr::memchr_iter(b'\n', span).count();
                self.line_start = self.offset + last + 1;
                self.column = 1;
                self.line_start
            }
            None => self.offset,
        };
        // Characters, not bytes: UTF-8 continuation bytes do not start one.
        self.column += self.data[counted_from..offset]
            .iter()
            .filter(|&&b| !(0x80..0xC0).contains(&b))
            .count();
        self.offset = offset;
        Position {
            line: self.line,
            column: self.column,
        }
    }
}

/// The byte range of the line holding `offset`, without its `\n` (a `\r` stays).
pub fn line_bounds(data: &[u8], offset: usize) -> std::ops::Range<usize> {
    let offset = offset.min(data.len());
    let start = memchr::memrchr(b'\n', &data[..offset]).map_or(0, |i| i + 1);
    let end = memchr::memchr(b'\n', &data[offset..]).map_or(data.len(), |i| offset + i);
    start..end
}

/// The bytes of the line holding `offset`, without its line terminator.
pub fn line_at(data: &[u8], offset: usize) -> &[u8] {
    let line = &data[line_bounds(data, offset)];
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        let data = "ab\ncdé f\n\nx".as_bytes();
        let mut l = Locator::new(data);
        assert_eq!(l.locate(0), Position { line: 1, column: 1 });
        assert_eq!(l.locate(3), Position { line: 2, column: 1 });
        // 'f' follows "cdé " : 4 characters, 5 bytes.
        assert_eq!(l.locate(8), Position { line: 2, column: 5 });
        assert_eq!(l.locate(11), Position { line: 4, column: 1 });
        assert_eq!(l.locate(1), Position { line: 1, column: 2 });
    }

    #[test]
    fn columns_count_on_along_a_line_and_back_within_it() {
        let data = "é=1 é=2 é=3\nz".as_bytes();
        let mut l = Locator::new(data);
        // Each `=` is 2 characters after the previous `é`: columns 2, 6, 10.
        assert_eq!(l.locate(2), Position { line: 1, column: 2 });
        assert_eq!(l.locate(7), Position { line: 1, column: 6 });
        assert_eq!(
            l.locate(12),
            Position {
                line: 1,
                column: 10
            }
        );
        // Back within the line, then forward across it.
        assert_eq!(l.locate(7), Position { line: 1, column: 6 });
        assert_eq!(l.locate(15), Position { line: 2, column: 1 });
        assert_eq!(l.locate(7), Position { line: 1, column: 6 });
    }

    #[test]
    fn line_at_strips_cr() {
        assert_eq!(line_at(b"a\r\nbcd\r\ne", 4), b"bcd");
        assert_eq!(line_at(b"", 0), b"");
    }
}
