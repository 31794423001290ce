//! Translating terminal input into the model's messages.

use ratatui::crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEventKind,
};
use ratatui::layout::Rect;

use crate::model::{Key, Model, Msg};

/// The model message for a terminal event, if it means anything to the dashboard.
/// `area` is the last drawn frame's size, for mouse hit-testing.
pub fn translate(event: &Event, model: &Model, area: Rect) -> Option<Msg> {
    match event {
        Event::Key(key) => key_of(key).map(Msg::Key),
        Event::Mouse(m) if m.kind == MouseEventKind::Down(MouseButton::Left) => {
            crate::ui::hit_test(area, model, m.column, m.row)
        }
        _ => None,
    }
}

fn key_of(key: &KeyEvent) -> Option<Key> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    Some(match key.code {
        KeyCode::Char(c) if ctrl => Key::Ctrl(c),
        KeyCode::Char(c) => Key::Char(c),
        KeyCode::Up => Key::Up,
        KeyCode::Down => Key::Down,
        KeyCode::Left => Key::Left,
        KeyCode::Right => Key::Right,
        KeyCode::Tab => Key::Tab,
        KeyCode::BackTab => Key::BackTab,
        KeyCode::Enter => Key::Enter,
        KeyCode::Esc => Key::Esc,
        KeyCode::Backspace => Key::Backspace,
        KeyCode::Delete => Key::Delete,
        KeyCode::Home => Key::Home,
        KeyCode::End => Key::End,
        KeyCode::PageUp => Key::PageUp,
        KeyCode::PageDown => Key::PageDown,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_letters_and_plain_keys_translate() {
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(key_of(&ctrl_c), Some(Key::Ctrl('c')));
        let shift_k = KeyEvent::new(KeyCode::Char('K'), KeyModifiers::SHIFT);
        assert_eq!(key_of(&shift_k), Some(Key::Char('K')));
        let mut release = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
        release.kind = KeyEventKind::Release;
        assert_eq!(key_of(&release), None);
        assert_eq!(
            key_of(&KeyEvent::new(KeyCode::F(5), KeyModifiers::NONE)),
            None
        );
    }
}
