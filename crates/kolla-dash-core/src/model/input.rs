//! A one-line text input (the `/` filter, the `:` command line, typed confirmations): its
//! value and cursor, edited by keys. Drawing it (display widths, horizontal scroll) is the
//! terminal side's job.

use crate::model::msg::Key;

/// The text typed so far and where the cursor is, counted in chars.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    value: String,
    cursor: usize,
}

impl TextInput {
    /// An input holding `value`, the cursor at its end.
    pub fn new(value: impl Into<String>) -> Self {
        let value = value.into();
        let cursor = value.chars().count();
        TextInput { value, cursor }
    }

    pub fn value(&self) -> &str {
        &self.value
    }

    /// The cursor position in chars from the start.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Applies an editing key (the keys every line editor understands); false for others.
    pub fn edit(&mut self, key: Key) -> bool {
        let len = self.value.chars().count();
        match key {
            Key::Char(c) => {
                let at = self.byte(self.cursor);
                self.value.insert(at, c);
                self.cursor += 1;
            }
            Key::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                let at = self.byte(self.cursor);
                self.value.remove(at);
            }
            Key::Delete if self.cursor < len => {
                let at = self.byte(self.cursor);
                self.value.remove(at);
            }
            Key::Left => self.cursor = self.cursor.saturating_sub(1),
            Key::Right => self.cursor = (self.cursor + 1).min(len),
            Key::Home | Key::Ctrl('a') => self.cursor = 0,
            Key::End | Key::Ctrl('e') => self.cursor = len,
            Key::Ctrl('u') => *self = TextInput::default(),
            Key::Ctrl('w') => self.delete_prev_word(),
            Key::Backspace | Key::Delete => {}
            _ => return false,
        }
        true
    }

    /// Deletes back to the start of the word before the cursor (spaces first, like a shell).
    fn delete_prev_word(&mut self) {
        let chars: Vec<char> = self.value.chars().collect();
        let mut start = self.cursor;
        while start > 0 && chars[start - 1].is_whitespace() {
            start -= 1;
        }
        while start > 0 && !chars[start - 1].is_whitespace() {
            start -= 1;
        }
        let (from, to) = (self.byte(start), self.byte(self.cursor));
        self.value.replace_range(from..to, "");
        self.cursor = start;
    }

    fn byte(&self, chars: usize) -> usize {
        self.value
            .char_indices()
            .nth(chars)
            .map_or(self.value.len(), |(i, _)| i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(keys: &[Key]) -> TextInput {
        let mut input = TextInput::default();
        for k in keys {
            input.edit(*k);
        }
        input
    }

    #[test]
    fn typing_moving_and_deleting() {
        let mut input = typed(&[Key::Char('r'), Key::Char('ü'), Key::Char('n')]);
        assert_eq!((input.value(), input.cursor()), ("rün", 3));
        input.edit(Key::Left);
        input.edit(Key::Backspace);
        assert_eq!((input.value(), input.cursor()), ("rn", 1));
        input.edit(Key::Char('u'));
        input.edit(Key::Delete);
        assert_eq!((input.value(), input.cursor()), ("ru", 2));
        input.edit(Key::Home);
        input.edit(Key::Backspace);
        assert_eq!((input.value(), input.cursor()), ("ru", 0));
        input.edit(Key::End);
        assert_eq!(input.cursor(), 2);
        assert!(!input.edit(Key::Enter));
    }

    #[test]
    fn control_keys_delete_a_word_or_the_line() {
        let mut input = TextInput::new("run keystone  ");
        input.edit(Key::Ctrl('w'));
        assert_eq!(input.value(), "run ");
        input.edit(Key::Ctrl('u'));
        assert_eq!((input.value(), input.cursor()), ("", 0));
    }
}
