/**
 * Production configuration. The backend serves the built app and the API on the same
 * origin, so the API base URL is empty (same-origin, relative URLs).
 */
export const environment = {
  production: true,
  /** Prefix for every API URL; '' means "same origin as the app". */
  apiBaseUrl: '',
  /** Page size requested from `GET /post`. */
  pageSize: 20,
};
