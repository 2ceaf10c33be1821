/**
 * Development configuration (`ng serve`). Requests stay same-origin and `proxy.conf.mjs`
 * forwards them to the backend on http://localhost:8000.
 */
export const environment = {
  production: false,
  apiBaseUrl: '',
  pageSize: 20,
};
