// What the notify-email bench runs in-process, bundled with ncc as the action is.
export { buildMessage, defaultPolicy, deliver, emailChannel } from '@gantry/notify'
