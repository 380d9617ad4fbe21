import pg from 'pg';

/**
 * Takes a current database back to schema 9: generations and steps one table each again (their rows copied, their
 * indexes made as the parent's are, their (trace_id, span_id) and id keys back), not partitioned.
 */
export const TO_SCHEMA_9 = `
DO $$
DECLARE
  t text;
  r record;
BEGIN
  FOREACH t IN ARRAY ARRAY['genspan_generations', 'genspan_steps'] LOOP
    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING COMPRESSION INCLUDING STORAGE)', t || '_plain', t);
    EXECUTE format('INSERT INTO %I SELECT * FROM %I', t || '_plain', t);
    CREATE TEMP TABLE definitions AS SELECT indexdef FROM pg_indexes
      WHERE tablename = t AND indexname NOT IN ('genspan_generations_span', 'genspan_generations_id', 'genspan_steps_span');
    EXECUTE format('DROP TABLE %I', t);
    EXECUTE format('ALTER TABLE %I RENAME TO %I', t || '_plain', t);
    FOR r IN SELECT indexdef FROM definitions LOOP EXECUTE replace(r.indexdef, ' ON ONLY ', ' ON '); END LOOP;
    DROP TABLE definitions;
  END LOOP;
END
$$;
ALTER TABLE genspan_generations ADD PRIMARY KEY (trace_id, span_id), ADD UNIQUE (id);
ALTER TABLE genspan_steps ADD PRIMARY KEY (trace_id, span_id);
UPDATE genspan_meta SET value = '9' WHERE key = 'schema_version';
DELETE FROM genspan_meta WHERE key = 'partitions_from_ms';
`;

/** One statement on a connection of its own. */
export async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}
