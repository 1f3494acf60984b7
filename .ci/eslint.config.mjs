// ESLint's configuration for the step page's script (.ci/check_js.sh runs it). The rules are
// named here, not taken from @eslint/js, so npx needs to fetch ESLint alone.
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
      "no-undef": "error",
      "no-unused-vars": ["error", {args: "none"}],
      "no-redeclare": "error",
      "no-dupe-keys": "error",
      "no-unreachable": "error",
      "no-self-assign": "error",
      "no-use-before-define": ["error", {functions: false}],
      "eqeqeq": "error",
      "strict": ["error", "function"],
      "no-implicit-globals": "error",
      "no-shadow": "off",
    },
  },
];
