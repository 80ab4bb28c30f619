-- Reverses 0001_accounts_users_agents, in reverse order.

DROP INDEX agents_account_id_idx;

DROP TABLE agents;

DROP INDEX users_account_id_idx;

DROP TABLE users;

DROP TABLE accounts;
