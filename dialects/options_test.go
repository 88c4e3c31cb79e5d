package dialects

import "testing"

func TestOptions(t *testing.T) {
	o := Options{"b": "true", "n": "42", "m": `{"admin":"Master Admin"}`, "s": "x"}
	if !o.Bool("b") || o.Bool("s") || o.Int("n") != 42 || o.Int("missing") != 0 || o.Map("m")["admin"] != "Master Admin" || o.Map("missing") != nil || o.String("s") != "x" {
		t.Fatalf("%v", o)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("an option the gateway could not have checked was read as an integer")
		}
	}()
	o.Int("s")
}
