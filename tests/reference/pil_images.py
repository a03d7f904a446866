#!/usr/bin/python3
import os, sys, json
os.makedirs(sys.argv[1], exist_ok=True)
json.dump({"cases": []}, open(os.path.join(sys.argv[1], "cases.json"), "w"))
