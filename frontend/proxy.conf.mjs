// `npm start` (ng serve on :4200): the API's paths go to the backend on :8000 (`make
// dev-backend`), so requests stay same-origin as in production. `/modlog` is both a page of the
// app and an API route: a browser's navigation to it (Accept: text/html) gets the app from the
// dev server, as the backend itself answers it in production (docs/API.md, "Mod log").
const toBackend = { target: 'http://localhost:8000', secure: false, changeOrigin: true };

export default {
  ...Object.fromEntries(
    [
      '/post',
      '/update-post-score',
      '/image',
      '/events',
      '/mod/',
      '/feed.atom',
      '/health',
      '/ready',
      '/docs',
      '/openapi.json',
    ].map((path) => [path, toBackend]),
  ),
  '/modlog': {
    ...toBackend,
    bypass: (request) =>
      request.headers.accept?.includes('text/html') ? '/index.html' : undefined,
  },
};
