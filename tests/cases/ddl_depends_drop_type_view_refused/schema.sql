CREATE TYPE mood AS ENUM ('up', 'down');
CREATE VIEW moods AS SELECT 'up'::mood AS m;
DROP TYPE mood;
