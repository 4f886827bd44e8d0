//! Byte offsets to 1-based line and column numbers, computed only for blobs with matches.

/// A 1-based position. Columns count Unicode scalar values of valid UTF-8 (each invalid byte
/// counts as one), which is what editors and SARIF's `unicodeCodePoints` column kind show.
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
}

impl<'a> Locator<'a> {
    /// Starts at the beginning of `data`.
    pub fn new(data: &'a [u8]) -> Locator<'a> {
        Locator {
            data,
            offset: 0,
            line: 1,
            line_start: 0,
        }
    }

    /// Position of byte `offset`. Offsets may repeat or go back; going back rescans.
    pub fn locate(&mut self, offset: usize) -> Position {
        let offset = offset.min(self.data.len());
        if offset < self.offset {
            *self = Locator::new(self.data);
        }
        for i in memchr::memchr_iter(b'\n', &self.data[self.offset..offset]) {
            self.line += 1;
            self.line_start = self.offset + i + 1;
        }
        self.offset = offset;
        let column = 1 + self.data[self.line_start..offset]
            .iter()
            .filter(|&&b| !(0x80..0xC0).contains(&b))
            .count();
        Position {
            line: self.line,
            column,
        }
    }
}

/// The bytes of the line holding `offset`, without its line terminator.
pub fn line_at(data: &[u8], offset: usize) -> &[u8] {
    let offset = offset.min(data.len());
    let start = memchr::memrchr(b'\n', &data[..offset]).map_or(0, |i| i + 1);
    let end = memchr::memchr(b'\n', &data[offset..]).map_or(data.len(), |i| offset + i);
    let line = &data[start..end];
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
    fn line_at_strips_cr() {
        assert_eq!(line_at(b"a\r\nbcd\r\ne", 4), b"bcd");
        assert_eq!(line_at(b"", 0), b"");
    }
}
