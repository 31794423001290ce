//! Drawing: `draw(frame, &Model)` and `hit_test`; read-only on the model.
