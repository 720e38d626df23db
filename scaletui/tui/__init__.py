"""The Textual face of scaletui: renders engine state and sends intents; no engine logic lives here."""
