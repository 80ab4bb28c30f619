CREATE TABLE boxes (
    id int PRIMARY KEY,
    w int NOT NULL,
    h int NOT NULL,
    area int GENERATED ALWAYS AS (w * h) STORED,
    double_area int GENERATED ALWAYS AS (area * 2) STORED
);
