/**
 * registry/auth: who may do what. Roles and repository patterns, password hashes, the `Authorization` and
 * `WWW-Authenticate` headers, Docker token scopes and the bearer tokens themselves. No I/O.
 */
export { AuthError } from './errors.js';
export type { AuthErrorCode } from './errors.js';
export {
  roles,
  actions,
  roleActionsOf,
  isRole,
  isAction,
  parseRole,
  isRepositoryName,
  parseRepositoryPattern,
  patternMatches,
  actionsFor,
  isAllowed,
  canPullSomething,
  repositoryFilter,
  isAdminAnywhere,
  isAdminEverywhere,
  anonymousGrants,
} from './roles.js';
export type { Role, Action, RoleGrant, RepositoryPattern } from './roles.js';
export { hashPassword, verifyPassword, parsePasswordHash, verifyCredential } from './password.js';
export type { PasswordHash, StoredCredential } from './password.js';
export { parseAuthorization, challenge, basicChallenge } from './authorization.js';
export type { Credentials, BearerChallenge } from './authorization.js';
export { parseScope, parseScopes, formatScope, authorizeScopes } from './scope.js';
export type { TokenAccess } from './scope.js';
export { TokenIssuer, grantedActions, tokenResponse, clockLeewaySeconds, minSecretBytes } from './token.js';
export type { TokenClaims, IssuedToken, TokenIssuerOptions, TokenResponse } from './token.js';
