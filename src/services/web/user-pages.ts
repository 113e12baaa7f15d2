/**
 * The user UI's pages beyond sign-in and the project list, each module registering its own
 * routes in the user scope.
 */
import type { UserPages } from './user-ui.js';

export const userPages: readonly UserPages[] = [];
