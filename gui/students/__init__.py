"""The student list (学生名册): model, filter proxy, page and the student form."""
