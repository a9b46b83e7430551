package secret

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestSecretNeverShows(t *testing.T) {
	type account struct {
		User     string
		Password Secret
	}
	a := account{User: "scanner", Password: "hunter2"}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("account", "password", a.Password, "account", a)
	js, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{fmt.Sprint(a.Password), fmt.Sprintf("%v %+v %#v %s %q %x", a, a, a, a.Password, a.Password, a.Password),
		logged.String(), string(js)} {
		if strings.Contains(s, "hunter2") || !strings.Contains(s, "[redacted]") {
			t.Errorf("leaks or hides nothing: %s", s)
		}
	}
	if a.Password.Reveal() != "hunter2" {
		t.Error("Reveal lost the value")
	}
}
