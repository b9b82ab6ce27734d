import { Client } from 'pg';

/**
 * A plain connection for backup and restore, outside the apps' pool settings: a table of
 * any size must be able to stream for as long as it takes, so neither statement nor
 * idle-in-transaction timeouts apply.
 */
export async function openDatabase(url: string, applicationName: string): Promise<Client> {
  const client = new Client({
    connectionString: url,
    application_name: applicationName,
    statement_timeout: 0,
    idle_in_transaction_session_timeout: 0,
  });
  await client.connect();
  await client.query(`SET client_encoding = 'UTF8'`);
  return client;
}
