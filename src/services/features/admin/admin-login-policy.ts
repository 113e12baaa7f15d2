/**
 * Who may sign in to the admin console: a local account marked administrator, or the built-in
 * `admin` account with GYRE_ADMIN_PASSWORD (a session without a user row). No sign-up.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { UserStore } from '../../stores/accounts/user-store.js';
import { checkPassword } from '../../core/security/passwords.js';
import type { LoginPolicy } from '../web/login-pages.js';

export const BUILT_IN_ADMIN = 'admin';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

export function adminLoginPolicy(users: UserStore, adminPassword: string | undefined): LoginPolicy {
  return {
    scope: 'admin',
    title: 'Gyre admin console',
    authenticate: async (login, password) => {
      // The built-in account wins over a user row named "admin", which might not be an administrator.
      if (login.toLowerCase() === BUILT_IN_ADMIN && adminPassword) {
        return timingSafeEqual(digest(password), digest(adminPassword))
          ? { userId: null }
          : { refused: 'wrong login or password' };
      }
      const found = await users.withPassword(login);
      // checkPassword first: it spends a verification's time on an unknown login too.
      if (!(await checkPassword(password, found?.passwordHash)) || !found)
        return { refused: 'wrong login or password' };
      if (!found.user.isAdmin) return { refused: `${found.user.login} is not an administrator` };
      return { userId: found.user.id };
    },
  };
}
