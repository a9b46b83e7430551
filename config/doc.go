// Package config holds the gateway's settings: the mail account, the machine's serial link, the mail's
// subject, the address book, the board and the spool.
//
// Settings live in a TOML file (TOML has comments and reads well for the office admin who edits it). Load reads a
// file over the embedded defaults and refuses unknown keys, so a misspelt setting is reported instead of ignored.
// Validate checks everything before any device is opened and reports every problem at once, each naming the
// setting in the file's own words ("account.server: ...").
//
// Passwords are held as secret.Secret, whose printed form is always "[redacted]": a Config can be logged or shown in an
// error without leaking the password.
package config
