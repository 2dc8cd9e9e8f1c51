/**
 * The keys and pointer buttons one viewer holds down on the desktop: what the bridge forwarded as
 * pressed and not yet released. When the mode turns view-only (or the viewer goes away) the bridge sends
 * the releases itself, so that no key or button stays pressed on the display after the viewer's input
 * stops being forwarded (a held Shift or a dragged window would otherwise stick until someone
 * interactive releases it).
 *
 * Only forwarded messages are tracked: what was dropped never reached the VNC server.
 */

const KEY_EVENT = 4;
const POINTER_EVENT = 5;
const QEMU = 255;

export class HeldInput {
    /** Release message per held key: a KeyEvent by keysym, or a QEMU extended key event by keycode. */
    private readonly keys = new Map<string, Buffer>();
    private buttons = 0;
    private x = 0;
    private y = 0;

    /** Records a message forwarded to the VNC server (whole messages only). */
    forwarded(message: Buffer): void {
        switch (message[0]) {
            case KEY_EVENT: {
                const keysym = message.readUInt32BE(4);
                if (message[1]) this.keys.set(`k${keysym}`, keyEvent(keysym));
                else this.keys.delete(`k${keysym}`);
                break;
            }
            case QEMU: {
                // Extended key event: [255, 0, down (u16), keysym (u32), keycode (u32)]. Servers that
                // support it track pressed keys by keycode.
                const keycode = message.readUInt32BE(8);
                if (message.readUInt16BE(2)) this.keys.set(`q${keycode}`, qemuKeyUp(message.readUInt32BE(4), keycode));
                else this.keys.delete(`q${keycode}`);
                break;
            }
            case POINTER_EVENT:
                this.buttons = message[1];
                this.x = message.readUInt16BE(2);
                this.y = message.readUInt16BE(4);
                break;
        }
    }

    get held(): { keys: number; buttons: number } {
        return { keys: this.keys.size, buttons: this.buttons };
    }

    /** The messages that release everything held (keys first, then the buttons where the pointer is); forgets it. */
    release(): Buffer[] {
        const out = [...this.keys.values()];
        this.keys.clear();
        if (this.buttons) {
            out.push(Buffer.from([POINTER_EVENT, 0, this.x >> 8, this.x & 255, this.y >> 8, this.y & 255]));
            this.buttons = 0;
        }
        return out;
    }
}

function keyEvent(keysym: number): Buffer {
    const message = Buffer.alloc(8);
    message[0] = KEY_EVENT;
    message.writeUInt32BE(keysym, 4);
    return message;
}

function qemuKeyUp(keysym: number, keycode: number): Buffer {
    const message = Buffer.alloc(12);
    message[0] = QEMU;
    message.writeUInt32BE(keysym, 4);
    message.writeUInt32BE(keycode, 8);
    return message;
}
