import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, readdir, readFile, stat, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, it } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { callTool, shareServerAndClient, textOf, type RunningServer } from "./harness.js";

// A 1x1 transparent PNG.
const PNG = Buffer.from(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=",
    "base64",
);

describe("file tools", () => {
    let server: RunningServer;
    let client: Client;
    shareServerAndClient((started) => ({ server, client } = started));

    it("writes atomically into new parent folders, appends, and reads back (spaces and unicode in names)", async () => {
        const name = "new folder/ünï cödé/日本 notes.txt";
        const written = await callTool(client, "write_file", { path: name, content: "first line\nzweite Zeile ✓\n" });
        assert.match(textOf(written), /wrote 28 bytes to .*日本 notes\.txt/);
        await callTool(client, "write_file", { path: name, content: "third\n", append: true });
        assert.equal(await readFile(path.join(server.workspace, name), "utf8"), "first line\nzweite Zeile ✓\nthird\n");
        assert.equal(
            textOf(await callTool(client, "read_file", { path: name })),
            "first line\nzweite Zeile ✓\nthird\n",
        );
        const leftovers = (await readdir(path.join(server.workspace, "new folder/ünï cödé"))).filter((entry) =>
            entry.endsWith(".tmp"),
        );
        assert.deepEqual(leftovers, []);
    });

    it("keeps an existing file's mode when replacing it", async () => {
        const script = path.join(server.workspace, "run.sh");
        await writeFile(script, "#!/bin/sh\n");
        await chmod(script, 0o755);
        await callTool(client, "write_file", { path: "run.sh", content: "#!/bin/sh\necho hi\n" });
        assert.equal((await stat(script)).mode & 0o777, 0o755);
    });

    it("reads a range of lines and says how to continue", async () => {
        const lines = `${Array.from({ length: 10 }, (_, i) => `line ${i + 1}`).join("\n")}\n`;
        await writeFile(path.join(server.workspace, "ten.txt"), lines);
        const result = await callTool(client, "read_file", { path: "ten.txt", offset: 3, limit: 2 });
        assert.equal(textOf(result), "line 3\nline 4\n");
        assert.match((result.content[1] as { text: string }).text, /lines 3-4 shown.*offset=5/);
        const tail = await callTool(client, "read_file", { path: "ten.txt", offset: 9 });
        assert.equal(textOf(tail), "line 9\nline 10\n");
        assert.equal(tail.content.length, 1);
        const past = await callTool(client, "read_file", { path: "ten.txt", offset: 11 });
        assert.equal(past.isError, true);
        assert.match(textOf(past), /offset 11 is past the end of the file \(10 lines\)/);
    });

    it("returns images as image content and refuses other binary files with a hint", async () => {
        await writeFile(path.join(server.workspace, "pixel.png"), PNG);
        const image = await callTool(client, "read_file", { path: "pixel.png" });
        assert.equal(image.content[0].type, "image");
        assert.equal((image.content[0] as { mimeType: string }).mimeType, "image/png");
        assert.deepEqual(Buffer.from((image.content[0] as { data: string }).data, "base64"), PNG);
        await writeFile(path.join(server.workspace, "blob.bin"), Buffer.from([1, 0, 2, 3]));
        const binary = await callTool(client, "read_file", { path: "blob.bin" });
        assert.equal(binary.isError, true);
        assert.match(textOf(binary), /is a binary file \(4 bytes\); inspect it with run_command/);
    });

    it("names the argument and the fix when a path is missing or of the wrong kind", async () => {
        const missing = await callTool(client, "read_file", { path: "no such/file ü.txt" });
        assert.equal(missing.isError, true);
        assert.match(
            textOf(missing),
            /read_file: path '.*no such\/file ü\.txt' does not exist; check the name with list_directory/,
        );
        const folder = await callTool(client, "read_file", { path: "." });
        assert.match(textOf(folder), /is a directory; use list_directory/);
        const editMissing = await callTool(client, "edit_file", { path: "nope.txt", old_text: "a", new_text: "b" });
        assert.match(textOf(editMissing), /edit_file: path '.*nope\.txt' does not exist; create it with write_file/);
        const listFile = await callTool(client, "list_directory", { path: "ten.txt" });
        assert.match(textOf(listFile), /is a file, not a directory; use read_file/);
        const underFile = await callTool(client, "write_file", { path: "ten.txt/child.txt", content: "x" });
        assert.equal(underFile.isError, true);
        assert.match(
            textOf(underFile),
            /write_file: path '.*ten\.txt\/child\.txt' cannot be created: one of its parent folders is a file/,
        );
        const ontoFolder = await callTool(client, "write_file", { path: "new folder", content: "x" });
        assert.equal(ontoFolder.isError, true);
        assert.match(textOf(ontoFolder), /write_file: path '.*new folder' is a directory; pass a file path/);
        const listMissing = await callTool(client, "list_directory", { path: "ghost" });
        assert.equal(listMissing.isError, true);
        assert.match(textOf(listMissing), /path '.*ghost' does not exist/);
    });

    it("edits one exact occurrence and returns a unified diff", async () => {
        const source = `${["a", "b", "c", "d", "target = 1", "e", "f", "g", "h"].join("\n")}\n`;
        await writeFile(path.join(server.workspace, "edit me.py"), source);
        const result = await callTool(client, "edit_file", {
            path: "edit me.py",
            old_text: "target = 1",
            new_text: "target = 2\nextra = 'ü'",
        });
        assert.equal(result.isError, undefined);
        assert.equal(
            textOf(result),
            "--- a/edit me.py\n+++ b/edit me.py\n@@ -2,7 +2,8 @@\n b\n c\n d\n-target = 1\n+target = 2\n+extra = 'ü'\n e\n f\n g\n",
        );
        assert.equal(
            await readFile(path.join(server.workspace, "edit me.py"), "utf8"),
            source.replace("target = 1", "target = 2\nextra = 'ü'"),
        );
    });

    it("returns diffs that git apply --check accepts against the file before the edit", async () => {
        const cases: Array<{ name: string; before: string; old_text: string; new_text: string }> = [
            { name: "middle", before: "a\nb\nc\nd\ne\nf\ng\nh\ni\n", old_text: "e", new_text: "E\nE2" },
            { name: "last line of a file ending with a newline", before: "a\nb\nc\n", old_text: "c", new_text: "C" },
            { name: "first line", before: "a\nb\nc\n", old_text: "a\n", new_text: "" },
            { name: "no newline at the end", before: "a\nb\nc", old_text: "c", new_text: "c\nd" },
            { name: "adds the final newline", before: "a\nb", old_text: "b", new_text: "b\n" },
            { name: "appends after the last newline", before: "a\nb\n", old_text: "b\n", new_text: "b\nlast\n" },
            { name: "single line", before: "only", old_text: "only", new_text: "changed" },
        ];
        const run = promisify(execFile);
        for (const [index, edit] of cases.entries()) {
            const name = `diffs/case ${index}.txt`;
            await mkdir(path.join(server.workspace, "diffs"), { recursive: true });
            await writeFile(path.join(server.workspace, name), edit.before);
            const result = await callTool(client, "edit_file", {
                path: name,
                old_text: edit.old_text,
                new_text: edit.new_text,
            });
            assert.equal(result.isError, undefined, edit.name);
            const checkout = await mkdtemp(path.join(os.tmpdir(), "shell-mcp-apply-"));
            await mkdir(path.join(checkout, "diffs"));
            await writeFile(path.join(checkout, name), edit.before);
            await writeFile(path.join(checkout, "edit.patch"), textOf(result));
            await run("git", ["apply", "--check", "edit.patch"], { cwd: checkout }).catch(
                (error: { stderr: string }) => {
                    assert.fail(`${edit.name}: git apply --check rejected\n${textOf(result)}\n${error.stderr}`);
                },
            );
            // git apply finds a hunk at the wrong line by its context: compare the hunks with git's own diff.
            await writeFile(path.join(checkout, "after.txt"), await readFile(path.join(server.workspace, name)));
            await writeFile(path.join(checkout, "before.txt"), edit.before);
            const gitDiff = await run("git", ["diff", "--no-index", "-U3", "before.txt", "after.txt"], {
                cwd: checkout,
            }).then(
                () => "",
                (error: { stdout: string }) => error.stdout,
            );
            // git appends the enclosing "function" line to each @@ header and writes a count of 1 as nothing
            // ("-1" for "-1,1"): only the ranges themselves are compared.
            const hunks = (patch: string) =>
                patch
                    .slice(patch.indexOf("\n@@") + 1)
                    .replace(/^(@@ [^@]+ @@).*$/gm, "$1")
                    .replace(/^@@ .* @@$/gm, (header) => header.replace(/([-+]\d+),1\b/g, "$1"));
            assert.equal(hunks(textOf(result)), hunks(gitDiff), `${edit.name}: hunks differ from git diff`);
            await run("git", ["apply", "edit.patch"], { cwd: checkout });
            assert.equal(
                await readFile(path.join(checkout, name), "utf8"),
                await readFile(path.join(server.workspace, name), "utf8"),
                edit.name,
            );
        }
    });

    it("refuses absent and ambiguous old_text without touching the file", async () => {
        await writeFile(path.join(server.workspace, "dup.txt"), "x = 1\ny = 2\nx = 1\n");
        const absent = await callTool(client, "edit_file", { path: "dup.txt", old_text: "z = 3", new_text: "" });
        assert.equal(absent.isError, true);
        assert.match(textOf(absent), /old_text was not found in '.*dup\.txt'; read_file it and copy the text exactly/);
        const ambiguous = await callTool(client, "edit_file", {
            path: "dup.txt",
            old_text: "x = 1",
            new_text: "x = 9",
        });
        assert.equal(ambiguous.isError, true);
        assert.match(
            textOf(ambiguous),
            /old_text occurs 2 times in '.*dup\.txt' \(lines 1, 3\); include more surrounding text/,
        );
        const empty = await callTool(client, "edit_file", { path: "dup.txt", old_text: "", new_text: "x" });
        assert.equal(empty.isError, true);
        assert.match(textOf(empty), /old_text/);
        assert.equal(await readFile(path.join(server.workspace, "dup.txt"), "utf8"), "x = 1\ny = 2\nx = 1\n");
    });

    it("lists folders sorted, marks folders and symlinks, recurses and caps entries", async () => {
        const root = path.join(server.workspace, "tree");
        await mkdir(path.join(root, "sub dir/deeper"), { recursive: true });
        await writeFile(path.join(root, "b.txt"), "");
        await writeFile(path.join(root, "a ü.txt"), "");
        await writeFile(path.join(root, "sub dir/deeper/leaf"), "");
        await symlink("b.txt", path.join(root, "link"));
        assert.equal(
            textOf(await callTool(client, "list_directory", { path: "tree" })),
            "a ü.txt\nb.txt\nlink@\nsub dir/",
        );
        assert.equal(
            textOf(await callTool(client, "list_directory", { path: "tree", recursive: true })),
            "a ü.txt\nb.txt\nlink@\nsub dir/\nsub dir/deeper/\nsub dir/deeper/leaf",
        );
        const capped = textOf(
            await callTool(client, "list_directory", { path: "tree", recursive: true, max_entries: 2 }),
        );
        assert.equal(capped, "a ü.txt\nb.txt\n[truncated at 2 entries; raise max_entries or list a subfolder]");
        await mkdir(path.join(server.workspace, "empty"));
        assert.equal(textOf(await callTool(client, "list_directory", { path: "empty" })), "[empty directory]");
    });
});
