// Node-RED settings for the benchmark (bench/bench.py starts it with --userDir in a temp
// folder). Port and back-end come from the environment; the editor is off, the flow is
// bench/node-red/flows.json, logging only warnings, as one would run it in production.
const path = require("path");
module.exports = {
  uiHost: "127.0.0.1",
  uiPort: parseInt(process.env.BENCH_NODE_RED_PORT || "1880", 10),
  flowFile: path.join(__dirname, "flows.json"),
  flowFilePretty: true,
  credentialSecret: false,
  httpAdminRoot: false,
  httpNodeRoot: "/",
  apiMaxLength: "2mb",
  disableEditor: true,
  logging: { console: { level: "warn", metrics: false, audit: false } },
  editorTheme: { projects: { enabled: false } },
  functionGlobalContext: {},
};
