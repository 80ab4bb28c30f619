-- Reverses 0002_chat_providers.

DROP TABLE chat_providers;
