/**
 * npm run users -- reset <username>    a one-time password (printed once) the user must change at the next sign-in;
 *                                      the user's sessions end and a lock is lifted
 * npm run users -- unlock <username>   lifts the lock left by too many wrong passwords
 *
 * The security administrator's tools until the console's user management (issue 14) takes them
 * over; run with the platform's settings (MEDBILL_DB_URL, the master key). Exit codes: 0 done,
 * 1 refused (unknown user, wrong arguments), 2 a failure.
 */
import { loadConfig } from '../config';
import { masterKey } from '../common/keys';
import { DomainError } from '../common/errors';
import { openOrm } from '../orm/db';
import { sealerFromConfig } from '../orm/sealed';
import { redactDbError } from '../orm/errors';
import { SignInService } from '../services/sign-in';

async function main(): Promise<number> {
  const [command, username] = process.argv.slice(2);
  if (!['reset', 'unlock'].includes(command ?? '') || !username) {
    console.error('usage: npm run users -- reset <username> | unlock <username>');
    return 1;
  }
  const cfg = loadConfig();
  const orm = await openOrm(cfg.database.url, { sealer: sealerFromConfig(cfg), pool: 2 });
  try {
    const signIn = new SignInService({ orm, masterKey: masterKey(cfg), cfg });
    if (command === 'unlock') {
      await signIn.unlock(username);
      console.log(`${username}: unlocked`);
    } else {
      const once = await signIn.resetPassword(username);
      console.log(`${username}: one-time password ${once} (the user must change it at the next sign-in; every session of the user has ended)`);
    }
    return 0;
  } catch (e) {
    if (e instanceof DomainError) {
      console.error(e.message);
      return 1;
    }
    throw e;
  } finally {
    await orm.close(true);
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`users failed: ${redactDbError(e)}`);
    process.exit(2);
  },
);
