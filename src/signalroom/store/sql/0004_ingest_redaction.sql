-- Whether a load redacted PII in turn texts before storing them (`signalroom ingest --redact`).
ALTER TABLE loads ADD COLUMN turns_redacted BOOLEAN NOT NULL DEFAULT false;
