package smtpd

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

// Spamcontrol's variables take the values of its qmail-smtpd(8) and
// README: HELOCHECK letters (the EuroBSDCon 2010 run script sets
// HELOCHECK="A"), BADMIMETYPE and BADLOADERTYPE with "-" off and "+"
// sparing relay clients, over the tables qmail-badmimetypes and
// qmail-badloadertypes compile. A value in none of the forms is taken as
// Spamcontrol takes it, with a warning.
func TestSpamcontrolValues(t *testing.T) {
	home := t.TempDir()
	ctl := filepath.Join(home, "control")
	os.Mkdir(ctl, 0o755)
	os.WriteFile(filepath.Join(ctl, "me"), []byte("mx.test\n"), 0o644)
	os.WriteFile(filepath.Join(ctl, "badmimetypes"), []byte("# programs\nTVqQAAMAAAAEAAAA\n"), 0o644)
	os.WriteFile(filepath.Join(ctl, "badloadertypes"), []byte("Mi5kb\nTVqQA\n"), 0o644)
	for _, p := range []string{"qmail-badmimetypes", "qmail-badloadertypes"} {
		cmd := exec.Command(testbin.Path(t, p))
		cmd.Env = []string{"QMAILHOME=" + home}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v %s", p, err, out)
		}
	}
	cases := []struct {
		env   []string
		check func(c *Config) bool
		warn  string
	}{
		{[]string{"HELOCHECK=A"}, func(c *Config) bool { return c.Filters.HeloCheck == HeloA }, ""},
		{[]string{"HELOCHECK=M"}, func(c *Config) bool { return c.Filters.HeloCheck == HeloMX }, ""},
		{[]string{"HELOCHECK="}, func(c *Config) bool { return c.Filters.HeloCheck == HeloOff }, ""},
		{[]string{"HELOCHECK=x"}, func(c *Config) bool { return c.Filters.HeloCheck == HeloRequired }, `unknown HELOCHECK value "x", taken as "!" (HELO required)`},
		{[]string{"HELOCHECK=AM"}, func(c *Config) bool { return c.Filters.HeloCheck == HeloOff }, `unknown HELOCHECK value "AM", taken as "" (badhelo only)`},
		{nil, func(c *Config) bool { return c.Filters.Warlord.MimeTypes == nil && c.Filters.Warlord.Loaders == nil }, ""},
		{[]string{"BADMIMETYPE=-", "BADLOADERTYPE=-"}, func(c *Config) bool { return c.Filters.Warlord.MimeTypes == nil && c.Filters.Warlord.Loaders == nil }, ""},
		{[]string{"BADMIMETYPE="}, func(c *Config) bool {
			w := c.Filters.Warlord
			return len(w.MimeTypes) == 1 && w.MimeTypes["TVqQAAMAA"] && !w.Whitespace && !w.MimeRelayExempt
		}, ""},
		{[]string{"BADMIMETYPE=!"}, func(c *Config) bool { return c.Filters.Warlord.MimeTypes["TVqQAAMAA"] && c.Filters.Warlord.Whitespace }, ""},
		{[]string{"BADMIMETYPE=+"}, func(c *Config) bool { return c.Filters.Warlord.MimeTypes != nil && c.Filters.Warlord.MimeRelayExempt }, ""},
		{[]string{"BADMIMETYPE=yes"}, func(c *Config) bool { return c.Filters.Warlord.MimeTypes != nil }, `unknown BADMIMETYPE value "yes", taken as ""`},
		{[]string{"BADLOADERTYPE=M"}, func(c *Config) bool {
			w := c.Filters.Warlord
			return w.LoaderLetters == "M" && w.Loaders["Mi5kb"] && w.Loaders["TVqQA"] && !w.LoaderRelayExempt
		}, ""},
		{[]string{"BADLOADERTYPE=+"}, func(c *Config) bool {
			w := c.Filters.Warlord
			return len(w.LoaderLetters) == 2 && strings.Contains(w.LoaderLetters, "M") && strings.Contains(w.LoaderLetters, "T") && w.LoaderRelayExempt
		}, ""},
	}
	for _, c := range cases {
		env := func(k string) (string, bool) {
			for _, e := range c.env {
				if v, ok := strings.CutPrefix(e, k+"="); ok {
					return v, true
				}
			}
			return "", false
		}
		cfg, err := LoadConfig(home, env)
		if err != nil {
			t.Fatalf("%v: %v", c.env, err)
		}
		if !c.check(cfg) || strings.Join(cfg.Warnings, "\n") != c.warn {
			t.Errorf("%v: %+v, warnings %q, want %q", c.env, cfg.Filters, cfg.Warnings, c.warn)
		}
	}
	os.Remove(filepath.Join(ctl, "badmimetypes.cdb"))
	cfg, err := LoadConfig(home, func(k string) (string, bool) { return "", k == "BADMIMETYPE" })
	if err != nil || cfg.Filters.Warlord.MimeTypes != nil || len(cfg.Warnings) != 1 || cfg.Warnings[0] != "control/badmimetypes is not compiled: run qmail-badmimetypes" {
		t.Errorf("text without its table: %v, %q", err, cfg.Warnings)
	}
}

// Serve gives each warning once: a reused process serving connection
// after connection does not repeat it for each.
func TestWarningsOncePerProcess(t *testing.T) {
	home := t.TempDir()
	os.Mkdir(filepath.Join(home, "control"), 0o755)
	os.WriteFile(filepath.Join(home, "control", "me"), []byte("mx.test\n"), 0o644)
	var log strings.Builder
	for i := 0; i < 3; i++ {
		cfg, _ := LoadConfig(home, func(k string) (string, bool) { return "Z", k == "HELOCHECK" })
		warnConfig(cfg, func(f string, a ...any) { log.WriteString(f + "\n") })
	}
	if n := strings.Count(log.String(), "\n"); n != 1 {
		t.Errorf("%d warnings:\n%s", n, log.String())
	}
}
