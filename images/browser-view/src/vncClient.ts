import { createCipheriv } from "node:crypto";
import { connect, type Socket } from "node:net";
import { ByteReader } from "./byteReader.js";

/**
 * The bridge's own connection to the desktop's VNC server: RFB 3.8 with VNC authentication (RFC 6143,
 * 7.1 to 7.2), done here with the password from the mounted Secret so that browsers never learn it.
 * Stops after the SecurityResult; the viewer's ClientInit comes next.
 */

const SECURITY_VNC_AUTH = 2;
const HANDSHAKE_TIMEOUT_MS = 10_000;

class VncError extends Error {}

/** VncAuth's DES key is the password (8 bytes, zero-padded) with the bits of each byte reversed. */
export function vncAuthResponse(password: string, challenge: Buffer): Buffer {
    const key = Buffer.alloc(8);
    Buffer.from(password, "latin1").copy(key, 0, 0, 8);
    for (let i = 0; i < 8; i++) {
        let reversed = 0;
        for (let bit = 0; bit < 8; bit++) reversed |= ((key[i] >> bit) & 1) << (7 - bit);
        key[i] = reversed;
    }
    // Single DES is only in OpenSSL 3's legacy provider; triple DES with three equal keys is single DES.
    const cipher = createCipheriv("des-ede3-ecb", Buffer.concat([key, key, key]), null);
    cipher.setAutoPadding(false);
    return Buffer.concat([cipher.update(challenge), cipher.final()]);
}

export async function openVncSession(
    host: string,
    port: number,
    password: string,
): Promise<{ socket: Socket; readAhead: Buffer }> {
    const socket = connect({ host, port });
    socket.setNoDelay(true);
    const reader = new ByteReader(socket, "the VNC server");
    try {
        await new Promise<void>((resolve, reject) => {
            socket.once("connect", resolve);
            socket.once("error", reject);
        });
        const version = (await reader.read(12, HANDSHAKE_TIMEOUT_MS)).toString("latin1");
        const parsed = /^RFB (\d{3})\.(\d{3})\n$/.exec(version);
        if (!parsed || Number(parsed[1]) * 1000 + Number(parsed[2]) < 3008) {
            throw new VncError(`the VNC server speaks ${JSON.stringify(version)}, need RFB 3.8`);
        }
        socket.write("RFB 003.008\n");
        const count = (await reader.read(1, HANDSHAKE_TIMEOUT_MS))[0];
        if (count === 0) throw new VncError(`the VNC server refused the connection: ${await readReason(reader)}`);
        const types = [...(await reader.read(count, HANDSHAKE_TIMEOUT_MS))];
        if (!types.includes(SECURITY_VNC_AUTH)) {
            throw new VncError(`the VNC server offers security types [${types}], not VncAuth (2)`);
        }
        socket.write(Buffer.from([SECURITY_VNC_AUTH]));
        const challenge = await reader.read(16, HANDSHAKE_TIMEOUT_MS);
        socket.write(vncAuthResponse(password, challenge));
        const status = (await reader.read(4, HANDSHAKE_TIMEOUT_MS)).readUInt32BE(0);
        if (status !== 0) throw new VncError(`VNC authentication failed: ${await readReason(reader)}`);
        return { socket, readAhead: reader.release() };
    } catch (error) {
        reader.release();
        socket.destroy();
        throw error;
    }
}

async function readReason(reader: ByteReader): Promise<string> {
    try {
        const length = (await reader.read(4, HANDSHAKE_TIMEOUT_MS)).readUInt32BE(0);
        return (await reader.read(Math.min(length, 1024), HANDSHAKE_TIMEOUT_MS)).toString("utf8");
    } catch {
        return "no reason given";
    }
}
