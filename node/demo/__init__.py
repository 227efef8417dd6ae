"""`quartier demo`: a municipality the size of Mons on this machine, with generated life.

- `topology.py`: the nodes, their neighbourhoods and how big each is at a given scale;
- `vocabulary.py`: names, streets and the texts residents and the city write (data only);
- `addresses.py`: the generated address register, as a municipality's CSV export;
- `generator.py`: one node's own life, written before it serves: the address register,
  residents, posts, comments, reactions, help requests;
- `participation.py`: what needs the nodes running and federating: follows, the city's
  announcements, a workshop and a running survey, answers, views, reports;
- `run.py`: the command itself: data directories, the servers, signals, what it prints.

Like `node/__main__.py` and `node/app.py`, this package wires things together, so it may
import from any layer.
"""
