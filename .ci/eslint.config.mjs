// ESLint's configuration for the step page's script and the playground's page and worker
// (.ci/check_js.sh runs it). The rules are
// named here, not taken from @eslint/js, so npx needs to fetch ESLint alone.
// Rules both the page's script and the playground's files are held to.
const SHARED_RULES = {
  "no-undef": "error",
  "no-unused-vars": ["error", {args: "none"}],
  "no-redeclare": "error",
  "no-dupe-keys": "error",
  "no-unreachable": "error",
  "no-self-assign": "error",
  "eqeqeq": "error",
};

export default [
  {
    files: ["viz/**/*.js"],
    languageOptions: {
      ecmaVersion: 5,  // the page's script is ES5: it runs in any browser, from file://
      sourceType: "script",
      globals: {
        window: "readonly", document: "readonly", setTimeout: "readonly",
        clearTimeout: "readonly", Event: "readonly",
      },
    },
    rules: {
      ...SHARED_RULES,
      "no-use-before-define": ["error", {functions: false}],
      "strict": ["error", "function"],
      "no-implicit-globals": "error",
      "no-shadow": "off",
    },
  },
  {
    files: ["playground/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,  // modules: the playground is served, never opened from file://
      sourceType: "module",
      globals: {
        window: "readonly", document: "readonly", self: "readonly", console: "readonly",
        fetch: "readonly", Worker: "readonly", URL: "readonly", performance: "readonly",
        setTimeout: "readonly", clearTimeout: "readonly", setInterval: "readonly",
        clearInterval: "readonly", requestAnimationFrame: "readonly",
        DOMParser: "readonly", Event: "readonly", CustomEvent: "readonly",
        XMLSerializer: "readonly", getComputedStyle: "readonly", navigator: "readonly",
      },
    },
    rules: {
      ...SHARED_RULES,
    },
  },
];
