package submit

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/scangate/gateway/smtpauth"
)

// The password and the token never show when an Account, or the smtpauth.Credentials the session makes of it,
// is printed, logged or marshalled: accounts end up in logs, debug dumps and status pages.
func TestSecretsNeverShow(t *testing.T) {
	const password, token = "pw-hunter2", "tok-ya29.a0AfH6"
	acct := Account{Server: "smtp.example.com:587", User: "scanner", Password: password, Token: token,
		Mechanisms: []string{"PLAIN"}, HelloName: "gw.test"}
	cred := smtpauth.Credentials{User: acct.User, Password: acct.Password, Token: acct.Token}
	for name, v := range map[string]any{"Account": acct, "*Account": &acct, "Credentials": cred, "*Credentials": &cred} {
		t.Run(name, func(t *testing.T) {
			js, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			var text, jsonLog strings.Builder
			slog.New(slog.NewTextHandler(&text, nil)).Info("account", "account", v)
			slog.New(slog.NewJSONHandler(&jsonLog, nil)).Info("account", "account", v)
			for how, out := range map[string]string{
				"%v": fmt.Sprintf("%v", v), "%+v": fmt.Sprintf("%+v", v), "%#v": fmt.Sprintf("%#v", v),
				"JSON": string(js), "slog text": text.String(), "slog JSON": jsonLog.String(),
			} {
				if strings.Contains(out, password) || strings.Contains(out, token) || !strings.Contains(out, "[redacted]") {
					t.Errorf("as %s: %s", how, out)
				}
			}
		})
	}
	if acct.Password.Reveal() != password || cred.Token.Reveal() != token {
		t.Error("the values themselves were lost")
	}
}
