/**
 * The compiler's import direction (docs/architecture.md, "How the program is built"): data flows
 * contract -> config -> plan -> render -> resources, and nothing points back. Checked by
 * tests/static/importDirection.test.ts (`npx depcruise --config .dependency-cruiser.cjs index.ts components`).
 */
const downstream = (layer, below) => ({
    name: `${layer}-not-downstream`,
    comment: `components/${layer} decides or declares before ${below.join(", ")}: it never imports them`,
    severity: "error",
    from: { path: `^components/${layer}/` },
    to: { path: `^components/(${below.join("|")})/` },
});

module.exports = {
    forbidden: [
        {
            name: "no-circular",
            comment: "no import cycle anywhere in the program",
            severity: "error",
            from: { path: "^(components/|index\\.ts$)" },
            to: { circular: true },
        },
        {
            name: "contract-is-constants",
            comment:
                "components/contract holds names, labels, ports, paths and tool names: it imports nothing but " +
                "its own files and the images' tool lists (the policy pack imports it too)",
            severity: "error",
            from: { path: "^components/contract/" },
            to: { pathNot: "^(components/contract/|images/[^/]+/tools\\.json$)" },
        },
        downstream("config", ["plan", "render", "resources"]),
        downstream("plan", ["render", "resources"]),
        downstream("render", ["resources"]),
        {
            name: "no-pulumi-before-resources",
            comment: "config and plan are plain data and functions: no Pulumi, not even its types",
            severity: "error",
            from: { path: "^components/(config|plan)/" },
            to: { path: "(^|/)node_modules/@pulumi/" },
        },
        {
            name: "render-uses-pulumi-types-only",
            comment: "render/ types its objects with @pulumi/kubernetes's input types, and registers nothing",
            severity: "error",
            from: { path: "^components/render/" },
            to: { path: "(^|/)node_modules/@pulumi/", dependencyTypesNot: ["type-only"] },
        },
        {
            name: "program-not-from-tests",
            comment: "the program never imports tests, benchmarks or scripts",
            severity: "error",
            from: { path: "^(components/|index\\.ts$)" },
            to: { path: "^(tests|bench|scripts)/" },
        },
    ],
    options: {
        doNotFollow: { path: "node_modules" },
        // Type-only imports count: a plan importing a renderer's type is an arrow back all the same.
        tsPreCompilationDeps: true,
        tsConfig: { fileName: "tsconfig.json" },
        enhancedResolveOptions: { extensions: [".ts", ".js", ".json"] },
    },
};
